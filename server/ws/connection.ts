import { WebSocket, type RawData } from 'ws';
import { CloseCode, echoText, type ServerFrame } from '../../protocol/wire.js';
import { TokenBucket } from '../domain/rate-limit.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { CommitQueue } from '../store/commit-queue.js';
import { LowDiskSpace } from '../store/disk-guard.js';
import { SessionStorageFull, type AppendResult, type MessageLog } from '../store/message-log.js';
import type { SessionRecord } from '../store/session-repo.js';
import { clientIdOf, echoFrame, errorFrame, parseClientFrame, readyFrame } from './frames.js';
import type { WsLimits } from './hub.js';
import type { WireMode } from './upgrade.js';
import type { WriteCoalescer } from './write-coalescer.js';

/** Replay reads the log in chunks of this many rows, */
const REPLAY_CHUNK = 256;
/** and waits for the socket to drain above this much buffered output. */
const REPLAY_HIGH_WATER = 256 * 1024;

export interface ConnectionContext {
  log: MessageLog;
  queue: CommitQueue;
  /** Hands a committed message to every connection of its session. */
  publish(sessionPk: number, result: AppendResult, sender: SessionConnection): void;
  isDraining(): boolean;
  metrics: Metrics;
  writes: WriteCoalescer;
  limits: Pick<WsLimits, 'wsRateLimit' | 'maxBufferedBytes' | 'maxMessageBytes'>;
}

/**
 * One open WebSocket of a session. Text mode echoes to the sender only, as the
 * original demo did; JSON mode receives every echo of its session in seq order.
 */
export class SessionConnection {
  /** Highest seq delivered to this connection (JSON mode). */
  private cursor = 0;
  /** While true, live echoes are skipped: the replay reads them from the log. */
  private replaying = false;
  /** False from a ping until its pong. */
  private alive = true;
  /** Messages allowed per second, burst twice that; null when unlimited. */
  private readonly rate: TokenBucket | null;
  /** Messages refused in a row by the rate limit. */
  private refusedInARow = 0;
  /** Set when a policy close is on its way: nothing more is taken. */
  private closingAfterCommits = false;

  constructor(
    readonly ws: WebSocket,
    readonly session: SessionRecord,
    readonly mode: WireMode,
    private readonly context: ConnectionContext,
    readonly logger: Logger,
  ) {
    const perSecond = context.limits.wsRateLimit;
    this.rate = perSecond > 0 ? new TokenBucket(perSecond, 2 * perSecond) : null;
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => (this.alive = true));
  }

  /** Called every heartbeat interval: a peer that missed the last ping is terminated. */
  heartbeat(): void {
    if (!this.alive) {
      this.logger.info('no pong within a heartbeat interval: terminating');
      this.ws.terminate();
      return;
    }
    this.alive = false;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  /** JSON mode: replays what the client missed (if asked), then says ready. */
  async start(afterSeq: number | null): Promise<void> {
    if (this.mode !== 'json') return;
    const lastSeq = this.context.log.lastSeq(this.session.pk);
    // A cursor beyond the log (the session was deleted and registered again)
    // restarts at its end; `ready` tells the client the real lastSeq.
    if (afterSeq === null || afterSeq >= lastSeq) {
      this.cursor = lastSeq;
    } else {
      this.cursor = afterSeq;
      this.replaying = true;
      try {
        await this.replay();
      } finally {
        this.replaying = false;
      }
    }
    this.sendFrame(readyFrame(this.cursor, this.context.limits.maxMessageBytes));
  }

  /** What this connection is doing, for diagnostics and metrics. */
  snapshot(): { mode: WireMode; cursor: number; replaying: boolean; bufferedAmount: number } {
    return { mode: this.mode, cursor: this.cursor, replaying: this.replaying, bufferedAmount: this.ws.bufferedAmount };
  }

  /** Sends a committed message of this session, once, in seq order. */
  deliver(message: AppendResult, serialized: string): void {
    if (this.replaying || message.seq <= this.cursor) return;
    this.cursor = message.seq;
    this.send(serialized);
    this.context.metrics.messagesOut();
  }

  /** The echo of the sender's own message (text mode, or a duplicate resend). */
  acknowledge(message: AppendResult): void {
    if (this.mode === 'text') this.send(echoText(this.session.id, message.body));
    else this.sendFrame(echoFrame(this.session.id, message));
    this.context.metrics.messagesOut();
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code, reason);
    }
  }

  private async replay(): Promise<void> {
    const { log } = this.context;
    while (this.ws.readyState === WebSocket.OPEN) {
      const rows = log.after(this.session.pk, this.cursor, REPLAY_CHUNK);
      if (rows.length === 0) return;
      for (const row of rows) {
        if (this.ws.readyState !== WebSocket.OPEN) return;
        const frame = JSON.stringify(echoFrame(this.session.id, row));
        this.context.writes.hold(this.ws);
        // Backpressure: above the high-water mark, wait until this frame is
        // handed to the kernel, so a replay never holds more than that.
        if (this.ws.bufferedAmount > REPLAY_HIGH_WATER) {
          await new Promise<void>((resolve) => this.ws.send(frame, () => resolve()));
        } else {
          this.ws.send(frame);
        }
        this.cursor = row.seq;
      }
      this.context.metrics.messagesOut(rows.length);
    }
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closingAfterCommits) return;
    if (isBinary) {
      this.closeAfterCommits(CloseCode.unsupportedData, 'binary frames are not supported; send text');
      return;
    }
    // Shutting down: the socket is closing with 1001; an unacknowledged
    // message is the client's to resend after reconnecting.
    if (this.context.isDraining()) return;
    const receivedAt = performance.now();
    this.context.metrics.messageIn(this.mode);
    if (this.rate && !this.rate.take()) return this.onRateLimited(data);
    this.refusedInARow = 0;
    const raw = (data as Buffer).toString('utf8');

    let clientId: string | null = null;
    let body = raw;
    if (this.mode === 'json') {
      const frame = parseClientFrame(raw);
      if (!frame.ok) {
        this.sendFrame(frame.error);
        return;
      }
      clientId = frame.clientId;
      body = frame.text;
    }

    this.context.queue.enqueue({ sessionPk: this.session.pk, clientId, body }, (err, result) => {
      if (err) return this.onStoreFailed(err, clientId);
      if (result!.duplicate) this.acknowledge(result!);
      else this.context.publish(this.session.pk, result!, this);
      this.context.metrics.echoed(performance.now() - receivedAt);
    });
  }

  /**
   * Over the rate: the message is dropped (not stored, no echo). JSON clients
   * hear why and resend later; a client that keeps going is closed with 1008.
   */
  private onRateLimited(data: RawData): void {
    const limit = this.context.limits.wsRateLimit;
    if (++this.refusedInARow > 2 * limit) {
      this.logger.warn('rate limit exceeded: closing');
      this.closeAfterCommits(CloseCode.policyViolation, 'rate limit exceeded');
      return;
    }
    if (this.mode === 'json') {
      const id = clientIdOf((data as Buffer).toString('utf8'));
      this.sendFrame(errorFrame('rate_limited', `more than ${limit} messages per second: this one was not stored; slow down and resend it`, id));
    }
  }

  /**
   * Closes once the messages already taken from this connection are
   * committed and echoed (the commit queue's flush was scheduled before this
   * immediate), so a policy close never swallows an acknowledgement; nothing
   * more is taken meanwhile.
   */
  private closeAfterCommits(code: number, reason: string): void {
    this.closingAfterCommits = true;
    setImmediate(() => this.close(code, reason));
  }

  private onStoreFailed(err: Error, clientId: string | null): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (err instanceof SessionStorageFull) {
      // The client's to fix (delete the session, or tighten its retention): not a server fault.
      this.logger.info('message refused: session storage budget used up');
      const message = `the session stores ${err.maxSessionBytes} bytes of messages, its limit: this one was not stored`;
      if (this.mode === 'json') this.sendFrame(errorFrame('session_storage_full', message, clientId));
      else this.closeAfterCommits(CloseCode.policyViolation, 'session_storage_full: message not stored');
      return;
    }
    if (err instanceof LowDiskSpace) this.logger.warn('message refused: free disk space under the floor');
    else this.logger.error({ err }, 'message not stored');
    if (this.mode === 'json') {
      this.sendFrame(errorFrame('storage_unavailable', 'the message was not stored; send it again', clientId));
    } else {
      this.close(CloseCode.internalError, 'storage unavailable; message not stored');
    }
  }

  private sendFrame(frame: ServerFrame): void {
    this.send(JSON.stringify(frame));
  }

  private send(data: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.context.writes.hold(this.ws, this.checkUnread);
    this.ws.send(data);
  }

  /**
   * After a coalesced write reached the kernel: what is still buffered is
   * output the kernel could not take, because the peer leaves it unread. A
   * reader this far behind holds memory for nothing: cut it off (a JSON client
   * resumes with ?after= and gets, in the replay, whatever it missed,
   * acknowledgements of its own messages included).
   */
  private readonly checkUnread = (): void => {
    const unread = this.ws.bufferedAmount;
    if (unread > this.context.limits.maxBufferedBytes && this.ws.readyState === WebSocket.OPEN) {
      this.logger.warn({ bufferedAmount: unread }, 'slow reader: terminating');
      this.ws.terminate();
    }
  };
}
