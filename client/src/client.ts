import { SESSION_ID_RULE, isValidSessionId } from '../../protocol/session-id.js';
import { SUBPROTOCOL, WS_PATH_PREFIX, echoText, type EchoFrame, type ErrorFrame, type HistoryPage, type ReadyFrame, type SearchPage, type ServerFrame, type SessionInfo } from '../../protocol/wire.js';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.js';
import { ClientError, closeError, wireCode } from './errors.js';
import { Emitter } from './events.js';
import { HttpApi, type ExportFormat, type FetchLike } from './http.js';
import { Outbox, type Message, type PendingSend } from './outbox.js';
import { SendWindow } from './send-window.js';
import { Socket, type WebSocketConstructor } from './socket.js';
import { memoryOutboxStore, memoryTokenStore, type TokenStore } from './stores.js';
import type { ClientEvents, ClientOptions, ClientState, NetworkEvents, OpenedSession } from './types.js';
import { sendFrame, utf8Length } from './utf8.js';

const CLOSED_BY_CLIENT = 'closed by the client';
/** Client message ids are 128 bits in hex. */
const ID_STAND_IN = '0'.repeat(32);

/**
 * One session of a websocket-session server, over its HTTP API and one
 * WebSocket (JSON mode) at a time. Create it with `createClient`, then
 * `open()`, `connect()`, `send()`; listen with `on()`.
 */
export class SessionClient extends Emitter<ClientEvents> {
  readonly #http: HttpApi;
  readonly #WebSocket: WebSocketConstructor;
  readonly #wsUrl: string;
  readonly #auth: 'bearer' | 'cookie';
  readonly #tokens: TokenStore;
  readonly #options: ClientOptions;
  readonly #backoff: BackoffOptions;
  readonly #window: SendWindow;
  readonly #network: NetworkEvents | null;
  #id: string | null = null;
  #outbox: Outbox | null = null;
  #current: ClientState = { status: 'idle' };
  #socket: Socket | null = null;
  #ready = false;
  /** Set once the client gave up or was closed: what every later call rejects with. */
  #finalError: ClientError | null = null;
  #lastSeq: number | null = null;
  #lastEpoch: string | null = null;
  #maxMessageBytes: number | null = null;
  /** Connection attempts failed in a row. */
  #attempt = 0;
  /** The server closed for a policy (1008): reconnects keep backing off until the outbox is drained. */
  #policyClosed = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #writeScheduled = false;
  #opened: { promise: Promise<void>; resolve(): void; reject(error: ClientError): void } | null = null;
  /** A revoke() of this client under way: the 4002 close it causes waits for its new token. */
  #revoking: Promise<unknown> | null = null;
  /** The socket was closed because its token was revoked: if reconnecting is refused, this is why. */
  #revokedBy: ClientError | null = null;
  readonly #onOnline = () => this.reconnect();

  constructor(options: ClientOptions) {
    super();
    const base = new URL(options.baseUrl);
    const fetch = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
    const WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!fetch) throw new TypeError('no global fetch: pass options.fetch');
    if (!WebSocket) throw new TypeError('no global WebSocket: pass options.WebSocket (in Node 20: WebSocket from "ws")');
    this.#options = options;
    this.#WebSocket = WebSocket;
    this.#wsUrl = (options.wsUrl ?? base.origin.replace(/^http/, 'ws')).replace(/\/$/, '');
    this.#auth = options.auth ?? 'bearer';
    this.#tokens = options.tokenStore ?? memoryTokenStore();
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#window = new SendWindow(options.maxInFlight ?? 1000, this.#backoff);
    const events = globalThis as { addEventListener?: unknown };
    this.#network = options.networkEvents !== undefined ? options.networkEvents : typeof events.addEventListener === 'function' ? (events as NetworkEvents) : null;
    this.#http = new HttpApi({ baseUrl: base.origin, fetch, token: async (id) => (this.#auth === 'bearer' ? await this.#tokens.get(id) : null) });
  }

  /** The session this client serves, once `open()` resolved. */
  get sessionId(): string | null {
    return this.#id;
  }

  get state(): ClientState {
    return this.#current;
  }

  /** Highest seq delivered (a reconnect resumes after it); null before the first `ready`. */
  get cursor(): number | null {
    return this.#lastSeq;
  }

  /** The session's history epoch from `ready`; null when not known or the server has no epochs. */
  get epoch(): string | null {
    return this.#lastEpoch;
  }

  /**
   * Registers the session (201), or rejoins it (200) when this client holds
   * its token: in the token store, given as `options.token` (an invite), or
   * in the browser's cookie. Without `sessionId` the server picks one. Then
   * takes in what an earlier client left in the outbox store. One session
   * per client. Throws ClientError: `session_exists` (409, held elsewhere),
   * `invalid_session_id`, `too_many_registrations` (429, `retryAfterMs`),
   * `network`, `invalid_state` (another session than the one opened, or after close()).
   */
  async open(sessionId?: string, options: { token?: string } = {}): Promise<OpenedSession> {
    if (this.#finalError) throw this.#finalError;
    if (this.#id !== null && sessionId !== this.#id) throw new ClientError('invalid_state', `this client serves session "${this.#id}"; create another`);
    if (sessionId !== undefined && !isValidSessionId(sessionId)) throw new ClientError('invalid_session_id', SESSION_ID_RULE);
    const stored = this.#auth === 'bearer' && sessionId !== undefined ? await this.#tokens.get(sessionId) : null;
    const { session, created } = await this.#http.register(sessionId, options.token ?? stored);
    // In cookie mode the token in the body is dropped here: the HttpOnly cookie is what authorises.
    if (this.#auth === 'bearer') await this.#tokens.set(session.id, session.token);
    if (this.#id === null) {
      const outbox = new Outbox(this.#options.outboxStore ?? memoryOutboxStore(), session.id, (cause) =>
        this.emit('error', new ClientError('internal', 'the outbox store failed; pending messages are kept in memory only', { cause })),
      );
      await outbox.restore();
      this.#id = session.id;
      this.#outbox = outbox;
    }
    return { id: session.id, createdAt: session.createdAt, created };
  }

  /**
   * Opens the WebSocket and keeps it open: reconnects with backoff, resumes
   * after the cursor, resends the outbox. `after`: the seq to resume after
   * (say the newest of a history page just loaded, so nothing falls between
   * the page and the live messages), with its `epoch` when known. Default:
   * only what is committed from now on. Options count on the first call
   * only; later calls return the same promise. Resolves at the first `ready`;
   * rejects with the error that closed the client first: `unauthorized`,
   * `session_not_found`, `session_deleted`, `token_revoked`, `client_closed`,
   * `invalid_state`.
   */
  connect(options: { after?: number | null; epoch?: string | null } = {}): Promise<void> {
    if (this.#finalError) return Promise.reject(this.#finalError);
    if (this.#id === null) return Promise.reject(new ClientError('invalid_state', 'call open() first'));
    if (this.#opened) return this.#opened.promise;
    if (options.after !== undefined) this.#lastSeq = options.after;
    if (options.epoch !== undefined) this.#lastEpoch = options.epoch;
    let resolve!: () => void;
    let reject!: (error: ClientError) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    // The `state` event reports the failure too: a caller that does not await this gets no unhandled rejection.
    promise.catch(() => undefined);
    this.#opened = { promise, resolve, reject };
    this.#network?.addEventListener('online', this.#onOnline);
    void this.#dial();
    return promise;
  }

  /**
   * Sends a message; resolves with it as committed (seq, at) once the server
   * acknowledges it, however many reconnects that takes: the outbox resends
   * it with the same id, which the server stores once. Refusals for now
   * (`rate_limited`, `storage_unavailable`) are resent after a backoff and
   * reported as `error` events, not rejections. Rejects only when it can
   * never be stored: `message_too_big` (over the server's maxMessageBytes),
   * `invalid_frame` (not well-formed Unicode), `session_deleted`,
   * `unauthorized`, `session_not_found`, `client_closed` (close() came first;
   * a persistent outbox store keeps it for the next client), `invalid_state`.
   */
  send(text: string): Promise<Message> {
    if (this.#finalError) return Promise.reject(this.#finalError);
    if (!this.#outbox) return Promise.reject(new ClientError('invalid_state', 'call open() first'));
    const error = this.#refusal(ID_STAND_IN, text);
    if (error) return Promise.reject(error);
    const entry = this.#outbox.add(text);
    this.#scheduleWrite();
    return entry.acknowledged;
  }

  /** Messages sent and not yet acknowledged (restored ones first), in send order, with their promises. */
  pending(): PendingSend[] {
    return this.#outbox?.list() ?? [];
  }

  /** A page of history, ascending by seq: the newest without `before`. `limit` default 50, at most 500. */
  history(options: { before?: number; limit?: number } = {}): Promise<HistoryPage> {
    return this.#http.history(this.#requireId(), options);
  }

  /** Full-text search in the session, best first. `limit` default 20, `offset` default 0. */
  search(q: string, options: { limit?: number; offset?: number } = {}): Promise<SearchPage> {
    return this.#http.search(this.#requireId(), q, options);
  }

  /** `{id, createdAt, lastSeq, retention, effectiveRetention}`. */
  info(): Promise<SessionInfo> {
    return this.#http.info(this.#requireId());
  }

  /** The export's URL, for a download link the cookie authorises (`auth: 'cookie'`). */
  exportUrl(format: ExportFormat = 'ndjson'): string {
    return `${this.#http.baseUrl}${this.#http.exportPath(this.#requireId(), format)}`;
  }

  /** The whole history as a streamed response (read its `body`): NDJSON is exact, CSV is for spreadsheets. */
  export(format: ExportFormat = 'ndjson'): Promise<Response> {
    const sessionId = this.#requireId();
    return this.#http.request(this.#http.exportPath(sessionId, format), { sessionId });
  }

  /**
   * The session's token, for an invite link (`open(id, {token})` on another
   * device): from the token store, or (`auth: 'cookie'`) asked of the server
   * with the cookie, the one time a page sees it. Throws ClientError
   * (`unauthorized` when this client's token was revoked, `network`...).
   */
  async invite(): Promise<string> {
    const sessionId = this.#requireId();
    const stored = this.#auth === 'bearer' ? await this.#tokens.get(sessionId) : null;
    return stored ?? (await this.#http.register(sessionId, null)).session.token;
  }

  /**
   * Revokes the session's token: the server makes a new one, which this
   * client keeps (token store, or the browser's cookie); every other holder
   * of the old one (invite links, other browsers and clients) is refused from
   * now on and their sockets are closed (4002; they end with `token_revoked`).
   * This client's own socket is closed too and reconnects with the new token.
   */
  async revoke(): Promise<void> {
    const sessionId = this.#requireId();
    const revoking = this.#http.revoke(sessionId).then(async (session) => {
      if (this.#auth === 'bearer') await this.#tokens.set(sessionId, session.token);
    });
    this.#revoking = revoking;
    try {
      await revoking;
    } finally {
      if (this.#revoking === revoking) this.#revoking = null;
    }
  }

  /** Deletes the session and its history for everyone, forgets its token and outbox, and closes this client. */
  async delete(): Promise<void> {
    const sessionId = this.#requireId();
    await this.#http.delete(sessionId);
    if (this.#auth === 'bearer') await this.#tokens.delete(sessionId);
    this.#terminate(new ClientError('session_deleted', `session "${sessionId}" was deleted by this client`), { forget: true });
    await this.#outbox?.persisted();
  }

  /** Reconnects now when waiting to (a "Reconnect now" button, the `online` event). */
  reconnect(): void {
    if (this.#retryTimer !== undefined) void this.#dial();
  }

  /**
   * Closes the WebSocket (1000) for good and rejects pending sends with
   * `client_closed`; a persistent outbox store keeps them for the next
   * client. Resolves once the store is up to date.
   */
  async close(): Promise<void> {
    if (!this.#finalError) this.#terminate(new ClientError('client_closed', CLOSED_BY_CLIENT), { forget: false });
    await this.#outbox?.persisted();
  }

  #requireId(): string {
    if (this.#id === null) throw new ClientError('invalid_state', 'call open() first');
    return this.#id;
  }

  #setState(state: ClientState): void {
    this.#current = state;
    this.emit('state', state);
  }

  async #dial(): Promise<void> {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const sessionId = this.#requireId();
    this.#setState({ status: 'connecting', attempt: this.#attempt });
    try {
      const token = this.#auth === 'bearer' ? await this.#tokens.get(sessionId) : null;
      if (this.#finalError || this.#current.status !== 'connecting') return;
      const query = new URLSearchParams();
      if (this.#lastSeq !== null) query.set('after', String(this.#lastSeq));
      if (this.#lastSeq !== null && this.#lastEpoch !== null) query.set('epoch', this.#lastEpoch);
      if (token) query.set('token', token);
      const url = `${this.#wsUrl}${WS_PATH_PREFIX}${encodeURIComponent(sessionId)}${query.size > 0 ? `?${query}` : ''}`;
      const socket: Socket = new Socket(this.#WebSocket, url, SUBPROTOCOL, {
        onFrame: (frame) => this.#onFrame(frame),
        onUnknown: (data) => this.emit('error', new ClientError('protocol_error', `skipped a frame this client does not know: ${String(data).slice(0, 200)}`)),
        onClose: (code, reason, opened) => void this.#onClose(socket, code, reason, opened),
      });
      this.#socket = socket;
    } catch (cause) {
      // The token store or the WebSocket constructor threw: try again later, like any failed attempt.
      this.#scheduleReconnect(new ClientError('connection_lost', `could not open the WebSocket: ${String(cause)}`, { cause }));
    }
  }

  #onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'echo':
        return this.#onEcho(frame);
      case 'ready':
        return this.#onReady(frame);
      case 'error':
        return this.#onErrorFrame(frame);
      case 'reset':
        // The history we held is gone; the server replays the new one from the start, then says ready.
        this.#lastSeq = 0;
        this.#lastEpoch = frame.epoch;
        return this.emit('reset', { epoch: frame.epoch });
      case 'presence':
        return this.emit('presence', { count: frame.count });
      default:
        return assertNever(frame);
    }
  }

  #onEcho(frame: EchoFrame): void {
    const body = frame.text.slice(echoText(this.#id!, '').length);
    const message: Message = { seq: frame.seq, id: frame.id, text: frame.text, body, at: frame.at };
    const own = this.#outbox!.acknowledge(message);
    if (own) {
      this.#window.acknowledged();
      if (this.#outbox!.size === 0) this.#policyClosed = false;
      this.#scheduleWrite();
    }
    // A resent message's original echo comes back to its sender alone: an acknowledgement, not news.
    if (this.#lastSeq !== null && frame.seq <= this.#lastSeq) return;
    this.#lastSeq = frame.seq;
    this.emit('message', { ...message, own });
  }

  #onReady(frame: ReadyFrame): void {
    const epoch = frame.epoch ?? null;
    // A server without epochs whose history went back (a restore, the ID registered anew): ours is not its.
    if (this.#lastSeq !== null && frame.lastSeq < this.#lastSeq) this.emit('reset', { epoch });
    this.#lastSeq = frame.lastSeq;
    this.#lastEpoch = epoch;
    this.#maxMessageBytes = frame.maxMessageBytes;
    if (!this.#policyClosed) this.#attempt = 0;
    this.#revokedBy = null;
    this.#ready = true;
    this.#setState({ status: 'open', lastSeq: frame.lastSeq, maxMessageBytes: frame.maxMessageBytes, epoch });
    if (frame.presence !== undefined) this.emit('presence', { count: frame.presence });
    this.#opened?.resolve();
    this.#scheduleWrite();
  }

  #onErrorFrame(frame: ErrorFrame): void {
    const error = new ClientError(wireCode(frame.code), frame.message, frame.id ? { messageId: frame.id } : {});
    if (frame.id && this.#outbox!.has(frame.id)) {
      if (error.retryable) {
        this.#window.refused(this.#outbox!.inFlight, () => this.#scheduleWrite());
        this.#outbox!.rewind(frame.id);
      } else {
        this.#outbox!.reject(frame.id, error);
      }
    }
    this.emit('error', error);
  }

  async #onClose(socket: Socket, code: number, reason: string, opened: boolean): Promise<void> {
    if (this.#socket !== socket || this.#finalError) return;
    this.#socket = null;
    this.#ready = false;
    let why = closeError(code, reason);
    if (why.code === 'policy_violation') {
      this.#policyClosed = true;
      this.#window.narrow(this.#outbox!.inFlight);
    }
    this.#outbox!.rewindAll();
    this.#window.cancelPause();
    if (why.code === 'session_deleted') return this.#terminate(why, { forget: true });
    if (why.code === 'token_revoked') {
      // Revoked here, the new token is on its way; revoked elsewhere, the next attempt finds out (401).
      this.#revokedBy = why;
      await this.#revoking?.catch(() => undefined);
      if (this.#finalError) return;
    }
    if (!opened) {
      // A browser is not told why an upgrade was refused: ask over HTTP whether retrying can help.
      const verdict = await this.#http.info(this.#id!).then(() => null, (error: ClientError) => error);
      if (this.#finalError) return;
      if (verdict?.status === 401 && this.#revokedBy) return this.#terminate(this.#revokedBy, { forget: false });
      if (verdict?.status === 401 || verdict?.status === 404) return this.#terminate(verdict, { forget: verdict.status === 404 });
      if (verdict) why = verdict;
    }
    this.#scheduleReconnect(why);
  }

  #scheduleReconnect(reason: ClientError): void {
    const delayMs = backoffDelay(this.#attempt++, this.#backoff);
    this.#setState({ status: 'reconnecting', attempt: this.#attempt, delayMs, reason });
    this.#retryTimer = setTimeout(() => void this.#dial(), delayMs);
  }

  /** Gives up for good: nothing more is sent; pending sends and connect() reject with `error`. */
  #terminate(error: ClientError, { forget }: { forget: boolean }): void {
    this.#finalError = error;
    this.#ready = false;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#window.cancelPause();
    this.#network?.removeEventListener('online', this.#onOnline);
    this.#socket?.close(1000, CLOSED_BY_CLIENT);
    this.#socket = null;
    this.#outbox?.rejectAll(error, { forget });
    this.#opened?.reject(error);
    this.#setState({ status: 'closed', code: error.code === 'client_closed' ? null : error.code, reason: error.message });
  }

  /** Why the server could never take this message, if it could not. */
  #refusal(id: string, text: string): ClientError | null {
    if (!text.isWellFormed()) return new ClientError('invalid_frame', 'the text is not well-formed Unicode (a lone surrogate)');
    const bytes = utf8Length(sendFrame(id, text));
    if (this.#maxMessageBytes === null || bytes <= this.#maxMessageBytes) return null;
    return new ClientError('message_too_big', `the message takes ${bytes} bytes on the wire; the server takes at most ${this.#maxMessageBytes}`);
  }

  /** Writes pending messages once the outbox store has them, in send order, within the window. */
  #scheduleWrite(): void {
    if (this.#writeScheduled) return;
    this.#writeScheduled = true;
    void this.#outbox!.persisted().then(() => {
      this.#writeScheduled = false;
      this.#write();
    });
  }

  #write(): void {
    const outbox = this.#outbox!;
    if (outbox.saving) return this.#scheduleWrite();
    if (!this.#ready || !this.#socket?.isOpen) return;
    let inFlight = outbox.inFlight;
    for (const entry of outbox.unwritten()) {
      if (!this.#window.allows(inFlight)) return;
      const error = this.#refusal(entry.id, entry.text);
      if (error) {
        outbox.reject(entry.id, error);
        continue;
      }
      this.#socket.send(sendFrame(entry.id, entry.text));
      entry.inFlight = true;
      inFlight++;
    }
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled frame: ${JSON.stringify(value)}`);
}

/** A client for one session of a websocket-session server; see ClientOptions for every option and its default. */
export function createClient(options: ClientOptions): SessionClient {
  return new SessionClient(options);
}
