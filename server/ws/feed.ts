import { WebSocket } from 'ws';
import type { StoredMessage } from '../domain/model.js';
import type { CommittedEvent, MessageLog } from '../domain/ports.js';
import { echoFrame } from '../domain/presenter.js';
import type { Metrics } from '../metrics.js';

/** The store is read in chunks of this many rows, */
const CHUNK = 256;
/** and a catch-up waits for the socket to drain above this much buffered output. */
const HIGH_WATER = 256 * 1024;

export type { CommittedEvent };

export interface FeedDeps {
  ws: WebSocket;
  sessionPk: number;
  sessionId: string;
  log: Pick<MessageLog, 'lastSeq' | 'after'>;
  metrics: Pick<Metrics, 'messagesOut'>;
  /**
   * Sends one serialized frame the way every frame of the connection goes
   * (coalesced, then the slow-reader check); `written`, when given, is
   * called once the frame is handed to the kernel, or at once if the socket
   * is no longer open.
   */
  send(data: string, written?: () => void): void;
  /** A read of the store failed during a catch-up: the connection cannot go on. */
  onFailed(err: unknown): void;
}

/**
 * The echoes a JSON-mode connection receives: every message of its session,
 * in seq order, each once. `cursor` is the last seq sent. A commit event
 * (from the bus) is delivered from its bodies only when it continues the
 * cursor (`fromSeq == cursor + 1`); anything else (an old or repeated event,
 * a gap left by a lost or reordered event, a hint without bodies from
 * another node) is either nothing to do or read from the store, so the bus
 * never has to be complete or ordered for the client to be.
 *
 * While the store is being read (`replaying`: the connect-time replay or a
 * catch-up), events only raise `known`, the highest seq heard of; the loop
 * reads on until a read comes back short and nothing newer was heard of
 * during it. It stops, and clears `replaying`, in the same synchronous run as
 * that last check, so no event can fall between the loop and live delivery.
 */
export class SessionFeed {
  cursor = 0;
  /** Reading the store: live events wait for the loop (from connect until `ready`). */
  replaying = true;
  /** Highest seq heard of on the bus while replaying. */
  private known = 0;
  /** Live delivery stopped because the reader fell behind (fallBehind), until catchUp. */
  private behind = false;

  constructor(private readonly deps: FeedDeps) {}

  /**
   * Replays the messages after `afterSeq` (none if null: the client starts at
   * the end), then calls `ready` with the cursor, then goes live. A cursor
   * beyond the log (a client of a history that was replaced, without an
   * epoch to say so) restarts at the log's end; `ready` tells the real lastSeq.
   */
  async start(afterSeq: number | null, ready: (lastSeq: number) => void): Promise<void> {
    const lastSeq = await this.deps.log.lastSeq(this.deps.sessionPk);
    this.cursor = afterSeq === null || afterSeq >= lastSeq ? lastSeq : afterSeq;
    if (this.cursor < lastSeq || this.known > this.cursor) return this.drain(() => ready(this.cursor));
    ready(this.cursor);
    this.replaying = false;
  }

  /** A commit of this session: see the class comment. `frames` serializes the event's echoes, once for all connections. */
  onCommitted(event: CommittedEvent, frames: () => readonly string[] | undefined): void {
    if (this.replaying) {
      if (event.toSeq > this.known) this.known = event.toSeq;
      return;
    }
    if (event.toSeq <= this.cursor) return;
    const serialized = event.fromSeq === this.cursor + 1 ? frames() : undefined;
    if (serialized) {
      for (const frame of serialized) this.deps.send(frame);
      this.cursor = event.toSeq;
      this.deps.metrics.messagesOut(serialized.length);
      return;
    }
    this.known = event.toSeq;
    this.replaying = true;
    this.drain().catch((err: unknown) => this.deps.onFailed(err));
  }

  /**
   * The reader left more than MAX_BUFFERED_BYTES unread: live echoes stop
   * (events only raise `known`), so what it has not read is never held
   * twice; `catchUp` reads them from the store once the socket drained.
   * During a replay or catch-up nothing changes: that loop already waits
   * for the socket.
   */
  fallBehind(): void {
    if (this.replaying) return;
    this.replaying = true;
    this.behind = true;
    this.known = this.cursor;
  }

  /** The socket drained after fallBehind: read the store from the cursor, then go live again. */
  catchUp(): void {
    if (!this.behind) return;
    this.behind = false;
    this.drain().catch((err: unknown) => this.deps.onFailed(err));
  }

  /** Reads from the cursor until caught up (see the class comment), then `caughtUp`, then live. */
  private async drain(caughtUp?: () => void): Promise<void> {
    const { ws, log, sessionPk } = this.deps;
    for (;;) {
      if (ws.readyState !== WebSocket.OPEN) return;
      const rows = await log.after(sessionPk, this.cursor, CHUNK);
      if (!(await this.sendRows(rows))) return;
      if (rows.length < CHUNK && this.known <= this.cursor) break;
      // Heard of, yet not in the store: nothing to send until the next event.
      if (rows.length === 0) {
        this.known = this.cursor;
        break;
      }
    }
    caughtUp?.();
    this.replaying = false;
  }

  /** Sends rows read from the store with backpressure; false when the socket closed meanwhile. */
  private async sendRows(rows: readonly StoredMessage[]): Promise<boolean> {
    const { ws, send, sessionId } = this.deps;
    for (const row of rows) {
      if (ws.readyState !== WebSocket.OPEN) return false;
      const frame = JSON.stringify(echoFrame(sessionId, row));
      // Above the high-water mark, wait until this frame is handed to the
      // kernel, so a replay never holds more than that.
      if (ws.bufferedAmount > HIGH_WATER) await new Promise<void>((resolve) => send(frame, resolve));
      else send(frame);
      this.cursor = row.seq;
    }
    if (rows.length > 0) this.deps.metrics.messagesOut(rows.length);
    return ws.readyState === WebSocket.OPEN;
  }
}
