import { randomBytes } from 'node:crypto';
import { WebSocket, type RawData } from 'ws';
import { SUBPROTOCOL, type EchoFrame, type ServerFrame } from '../../protocol/wire.js';
import { ConnectionCheck, type ConnectionRecord } from './connection-check.js';
import { DeadlineError, deferred, delay, within } from './timing.js';

export type { ConnectionRecord } from './connection-check.js';

export interface CrashClientOptions {
  /** Unique name; it prefixes every client message id (`c3-17`). */
  name: string;
  sessionId: string;
  token: string;
  /** ws://host:port of the WebSocket server (the same across restarts). */
  wsBase: string;
  /** Most messages sent and not yet acknowledged at a time. */
  window: number;
  /** Hard cap on new messages, so the load is bounded in count too. */
  maxMessages: number;
  /** Epoch ms after which every wait gives up. */
  deadline: number;
  /** Resolves when the server is listening (pending while it is down). */
  serverUp(): Promise<void>;
  maxConnectAttempts: number;
  /** Called after each acknowledgement (the runner's progress signal). */
  onAck(): void;
  /**
   * Resend and send right after the 101, while the server still replays (so
   * the replay and the resends race and the server's id dedupe is exercised),
   * instead of waiting for `ready`.
   */
  eager: boolean;
  /**
   * Least time between two new messages, ms (0 or absent: as fast as the
   * window allows). Bounds the load where it shares the machine with others
   * (the cluster run's short form inside npm test).
   */
  sendIntervalMs?: number;
  /** Called when a message is first written to a socket (not on resends): the cluster run times delivery from here. */
  onFirstSend?(id: string): void;
  /** Called for each echo delivered in order; `live` once the connection's replay ended (after `ready`). */
  onDelivered?(id: string | null, seq: number, live: boolean): void;
}

export interface SeenEcho {
  seq: number;
  text: string;
}

interface LiveConnection {
  ws: WebSocket;
  check: ConnectionCheck;
  /** Sends allowed (after the 101 when eager, else after `ready`). */
  sending: boolean;
}
const BACKOFF_MIN_MS = 10;
const BACKOFF_MAX_MS = 150;

/**
 * A JSON-mode (session.v1) client that sends as fast as a window of
 * unacknowledged messages allows, reconnects with `?after=<highest seq seen>`
 * when the server dies, and resends every unacknowledged message with its id.
 * It checks each connection's echoes as they arrive: increasing seqs, no gap,
 * nothing delivered twice (a resent id's original echo excepted).
 */
export class CrashClient {
  /** Every message created: id -> body. */
  readonly sent = new Map<string, string>();
  /** Acknowledged messages: id -> seq of their echo. */
  readonly acked = new Map<string, number>();
  /** Every echo with an id seen on any connection (own and others'). */
  readonly seen = new Map<string, SeenEcho>();
  readonly connections: ConnectionRecord[] = [];
  readonly problems: string[] = [];
  /** Why the client stopped reconnecting, if it did. */
  gaveUp: string | null = null;
  resends = 0;
  errorFrames = 0;

  private readonly unacked = new Map<string, string>();
  private readonly done = deferred();
  private highestSeq = 0;
  private nextNumber = 1;
  private producing = false;
  private finished = false;
  private live: LiveConnection | undefined;
  private socket: WebSocket | undefined;

  /** When the last new message was sent, and the timer that sends the next one (sendIntervalMs). */
  private lastNewAt = -Infinity;
  private paced: NodeJS.Timeout | undefined;
  /** New messages allowed in all: maxMessages, raised by sendMore(). */
  private limit: number;

  constructor(private readonly options: CrashClientOptions) {
    this.limit = options.maxMessages;
  }

  get name(): string {
    return this.options.name;
  }

  get sessionId(): string {
    return this.options.sessionId;
  }

  /** The highest seq this client has seen (its resume cursor). */
  get cursor(): number {
    return this.highestSeq;
  }

  get unacknowledged(): number {
    return this.unacked.size;
  }

  /** Resolves once production stopped and every message sent is acknowledged. */
  get drained(): Promise<void> {
    return this.done.promise;
  }

  start(): void {
    this.producing = true;
    void this.reconnect();
  }

  /** Allows `n` more new messages and sends them at once if connected (the cluster run's quiet tail times its last message so). */
  sendMore(n: number): void {
    this.limit += n;
    this.pump();
  }

  /** No new messages from now on; the unacknowledged ones are still resent. */
  stopProducing(): void {
    this.producing = false;
    this.checkDrained();
  }

  /** Stop reconnecting: the next close is the last. */
  finish(): void {
    this.finished = true;
  }

  /** Resolves when the current socket (if any) is closed. */
  waitClosed(): Promise<void> {
    const ws = this.socket;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => ws.once('close', () => resolve()));
  }

  /** Cleanup after a failed run. */
  terminate(): void {
    this.finished = true;
    clearTimeout(this.paced);
    this.socket?.terminate();
  }

  private async reconnect(): Promise<void> {
    const { deadline, maxConnectAttempts, name } = this.options;
    let lastError = 'no attempt';
    for (let attempt = 1; attempt <= maxConnectAttempts && !this.finished; attempt++) {
      try {
        await within(this.options.serverUp(), deadline, `${name}: server up`);
        await within(this.open(), deadline, `${name}: WebSocket open`);
        return;
      } catch (err) {
        lastError = (err as Error).message;
        if (err instanceof DeadlineError) break;
        await delay(Math.min(BACKOFF_MIN_MS * 2 ** (attempt - 1), BACKOFF_MAX_MS));
      }
    }
    if (this.finished) return;
    this.gaveUp = `${name}: gave up connecting (${lastError})`;
    this.done.reject(new Error(this.gaveUp));
  }

  private open(): Promise<void> {
    const { wsBase, sessionId, token } = this.options;
    const after = this.highestSeq;
    const ws = new WebSocket(`${wsBase}/ws/${sessionId}?after=${after}`, [SUBPROTOCOL], {
      headers: { authorization: `Bearer ${token}` },
      perMessageDeflate: false,
    });
    this.socket = ws;
    return new Promise((resolve, reject) => {
      let failure = 'closed before open';
      let live: LiveConnection | undefined;
      ws.on('error', (err) => (failure = err.message));
      ws.once('unexpected-response', (_req, res) => {
        failure = `upgrade refused: HTTP ${res.statusCode}`;
        res.resume();
        ws.terminate();
      });
      ws.once('open', () => {
        const check = new ConnectionCheck(this.name, this.connections.length, after);
        this.connections.push(check.record);
        live = { ws, check, sending: false };
        this.live = live;
        ws.on('message', (data) => this.onFrame(live!, data));
        if (this.options.eager) this.startSending(live);
        resolve();
      });
      ws.once('close', (code) => {
        if (!live) return reject(new Error(failure));
        live.check.record.closeCode = code;
        if (this.live === live) this.live = undefined;
        if (!this.finished) void this.reconnect();
      });
    });
  }

  private onFrame(conn: LiveConnection, data: RawData): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse((data as Buffer).toString('utf8')) as ServerFrame;
    } catch {
      conn.check.problem('a frame is not JSON');
      return;
    }
    if (frame.type === 'echo') this.onEcho(conn, frame);
    else if (frame.type === 'ready') this.onReady(conn, frame.lastSeq);
    else if (frame.type === 'error') {
      // A storage fault is allowed by the contract (no echo: resend); anything
      // else means the test drives the server wrong.
      this.errorFrames++;
      if (frame.code !== 'storage_unavailable') conn.check.problem(`error frame ${frame.code}: ${frame.message}`);
      if (frame.id != null && this.unacked.has(frame.id) && conn.sending) this.resend(conn, [frame.id]);
    }
  }

  private onReady(conn: LiveConnection, lastSeq: number): void {
    conn.check.onReady(lastSeq);
    if (!conn.sending) this.startSending(conn);
  }

  /** Resends every unacknowledged message with its id, then fills the window. */
  private startSending(conn: LiveConnection): void {
    conn.sending = true;
    this.resend(conn, [...this.unacked.keys()]);
    this.pump();
  }

  private onEcho(conn: LiveConnection, echo: EchoFrame): void {
    const prefix = `${this.options.sessionId}: `;
    if (!echo.text.startsWith(prefix)) conn.check.problem(`echo text without the "${prefix}" prefix: seq ${echo.seq}`);
    const delivered = conn.check.onEcho(echo.seq, echo.id);
    if (delivered !== null) {
      this.highestSeq = Math.max(this.highestSeq, delivered);
      this.options.onDelivered?.(echo.id, delivered, conn.check.record.readyLastSeq !== null);
    }

    if (echo.id == null) {
      conn.check.problem(`echo seq ${echo.seq} has no client id`);
      return;
    }
    const previous = this.seen.get(echo.id);
    if (!previous) this.seen.set(echo.id, { seq: echo.seq, text: echo.text });
    else if (previous.seq !== echo.seq || previous.text !== echo.text) {
      this.problems.push(`${this.name}: id ${echo.id} echoed as seq ${previous.seq} and later as seq ${echo.seq}`);
    }

    const body = this.unacked.get(echo.id);
    if (body === undefined) return;
    if (echo.text !== prefix + body) conn.check.problem(`echo of ${echo.id} has text ${JSON.stringify(echo.text)}`);
    this.unacked.delete(echo.id);
    this.acked.set(echo.id, echo.seq);
    this.options.onAck();
    this.pump();
    this.checkDrained();
  }

  private resend(conn: LiveConnection, ids: string[]): void {
    for (const id of ids) {
      conn.check.markResent(id);
      this.resends++;
      this.transmit(conn, id, this.unacked.get(id)!);
    }
  }

  /** Fills the window with new messages. */
  private pump(): void {
    const conn = this.live;
    const { window, name } = this.options;
    const every = this.options.sendIntervalMs ?? 0;
    while (this.producing && conn?.sending && this.unacked.size < window && this.nextNumber <= this.limit) {
      const wait = this.lastNewAt + every - performance.now();
      if (every > 0 && wait > 0) {
        this.paced ??= setTimeout(() => {
          this.paced = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.lastNewAt = performance.now();
      const n = this.nextNumber++;
      const id = `${name}-${n}`;
      const body = `${name} message ${n} ${randomBytes(6).toString('hex')}`;
      this.sent.set(id, body);
      this.unacked.set(id, body);
      this.options.onFirstSend?.(id);
      this.transmit(conn, id, body);
    }
  }

  private transmit(conn: LiveConnection, id: string, text: string): void {
    // A send on a dying socket is lost with it; the message stays unacknowledged.
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify({ type: 'send', id, text }), () => undefined);
  }

  private checkDrained(): void {
    const noMore = !this.producing || this.nextNumber > this.limit;
    if (noMore && this.unacked.size === 0 && !this.done.settled) this.done.resolve();
  }
}
