import { CloseCode, SUBPROTOCOL, WS_PATH_PREFIX, type EchoFrame, type ErrorFrame, type ReadyFrame, type ResetFrame, type ServerFrame } from '../../protocol/wire.js';
import { backoffDelay } from './backoff.js';
import { phrase, type Key, type Phrase } from './i18n.js';
import type { PendingMessage } from './outbox.js';

export type LinkState =
  | { kind: 'disconnected' }
  | { kind: 'connecting' }
  | { kind: 'connected' }
  /** Waiting to try again; `retryAt` is when (ms since epoch). */
  | { kind: 'reconnecting'; retryAt: number; reason: Phrase }
  /** Given up: retrying cannot help (the session is gone or not ours). */
  | { kind: 'error'; reason: Phrase };

/** What a failed connection attempt means, found out over HTTP (a browser cannot see the refused upgrade's status). */
export type ProbeResult = { retry: true } | { retry: false; reason: Phrase };

export interface SessionLinkOptions {
  sessionId: string;
  /** Highest seq this page has, a reconnect resumes after it; null: no replay, only what comes next. */
  cursor(): number | null;
  /** Messages to (re)send once the server is ready, in order. */
  pending(): PendingMessage[];
  probe(): Promise<ProbeResult>;
  onState(state: LinkState): void;
  onEcho(frame: EchoFrame): void;
  onReady(frame: ReadyFrame): void;
  /** The history this page holds is not the session's any more (a restore, the ID registered anew): drop it; the replay from seq 1 follows. */
  onReset(frame: ResetFrame): void;
  /** A problem the server reported (a message not stored stays pending and is resent). */
  onProblem(frame: ErrorFrame): void;
}

/** Error codes of a message that was not stored but may be sent again later. */
const RETRYABLE = new Set(['storage_unavailable', 'rate_limited']);

/** Close codes after which reconnecting cannot help. */
const FINAL_CLOSES = new Map<number, Key>([[CloseCode.sessionDeleted, 'reason.deleted']]);

/** Why the server closed, in the user's words. */
const CLOSE_REASONS = new Map<number, Key>([
  [CloseCode.goingAway, 'reason.restarting'],
  [CloseCode.policyViolation, 'reason.rate'],
  [CloseCode.messageTooBig, 'reason.tooBig'],
  [CloseCode.internalError, 'reason.storage'],
]);

/**
 * The JSON-mode link of one session: connects (same origin, `/ws/{ID}`),
 * reconnects with backoff and resumes with `?after=<cursor>`, and resends
 * every unacknowledged message (the server drops repeats by client id).
 */
export class SessionLink {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private resendTimer: ReturnType<typeof setTimeout> | undefined;
  private notStoredCount = 0;
  /** The epoch of the history the cursor belongs to (from `ready` or `reset`); sent back on a resume. */
  private epoch: string | null = null;
  private stopped = false;
  private ready = false;
  private readonly onOnline = () => {
    if (this.retryTimer !== undefined) this.connectNow();
  };

  constructor(private readonly options: SessionLinkOptions) {}

  start(): void {
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    this.connectNow();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.retryTimer);
    clearTimeout(this.resendTimer);
    this.retryTimer = undefined;
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, 'closed by the user');
    this.options.onState({ kind: 'disconnected' });
  }

  /** Sends now if the link is ready; otherwise the message goes out with the others on `ready`. */
  send(message: PendingMessage): void {
    if (this.ready && this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: 'send', id: message.id, text: message.text }));
    }
  }

  private connectNow(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const cursor = this.options.cursor();
    const resume = cursor === null ? '' : `?after=${cursor}${this.epoch === null ? '' : `&epoch=${encodeURIComponent(this.epoch)}`}`;
    const path = `${WS_PATH_PREFIX}${encodeURIComponent(this.options.sessionId)}${resume}`;
    this.options.onState({ kind: 'connecting' });
    this.ready = false;
    const ws = new WebSocket(`${scheme}://${location.host}${path}`, SUBPROTOCOL);
    this.ws = ws;
    let opened = false;
    ws.addEventListener('open', () => (opened = true));
    ws.addEventListener('message', (event) => {
      if (this.ws === ws && typeof event.data === 'string') this.dispatch(JSON.parse(event.data) as ServerFrame);
    });
    ws.addEventListener('close', (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.ready = false;
      void this.afterClose(event, opened);
    });
  }

  private async afterClose(event: CloseEvent, opened: boolean): Promise<void> {
    const final = FINAL_CLOSES.get(event.code);
    if (final) return this.options.onState({ kind: 'error', reason: phrase(final) });
    if (!opened) {
      const probe = await this.options.probe();
      if (this.stopped) return;
      if (!probe.retry) return this.options.onState({ kind: 'error', reason: probe.reason });
    }
    this.scheduleReconnect(phrase(CLOSE_REASONS.get(event.code) ?? 'reason.lost'));
  }

  private scheduleReconnect(reason: Phrase): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++);
    this.options.onState({ kind: 'reconnecting', retryAt: Date.now() + delay, reason });
    this.retryTimer = setTimeout(() => this.connectNow(), delay);
  }

  private dispatch(frame: ServerFrame): void {
    switch (frame.type) {
      case 'echo':
        this.notStoredCount = 0;
        return this.options.onEcho(frame);
      case 'ready':
        this.attempt = 0;
        this.ready = true;
        this.epoch = frame.epoch;
        this.options.onReady(frame);
        this.options.onState({ kind: 'connected' });
        return this.resendPending();
      case 'error':
        this.options.onProblem(frame);
        if (RETRYABLE.has(frame.code)) {
          // Resend after a pause; one timer for however many failed together.
          if (this.resendTimer === undefined) {
            this.resendTimer = setTimeout(() => {
              this.resendTimer = undefined;
              this.resendPending();
            }, backoffDelay(this.notStoredCount++) + 250);
          }
        }
        return;
      case 'reset':
        this.epoch = frame.epoch;
        return this.options.onReset(frame);
      case 'presence':
        return; // not shown (yet)
      default:
        return assertNever(frame);
    }
  }

  private resendPending(): void {
    for (const message of this.options.pending()) this.send(message);
  }
}

/** Stops compiling when a ServerFrame type is not handled above. */
function assertNever(frame: never): never {
  throw new Error(`unexpected frame ${JSON.stringify(frame)}`);
}
