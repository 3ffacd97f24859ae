import type { Duplex } from 'node:stream';
import { WebSocket, type RawData } from 'ws';
import { CloseCode, echoText, type ClientFrame, type ServerFrame } from '../../protocol/wire.js';
import type { CommitQueue } from '../domain/commit-queue.js';
import { StorageUnavailableError } from '../domain/errors.js';
import { SessionGoneError, SessionStorageFullError, type AppendResult, type SessionRecord } from '../domain/model.js';
import type { ConnectionSnapshot, MessageLog } from '../domain/ports.js';
import { echoFrame } from '../domain/presenter.js';
import { TokenBucket } from '../domain/rate-limit.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ErrorCode } from '../../protocol/errors.js';
import { SessionFeed, type CommittedEvent } from './feed.js';
import { closeReason, errorFrame, parseClientFrame, rawClientIdOf, readyFrame, resetFrame } from './frames.js';
import type { WsLimits } from './hub.js';
import type { WireMode } from './upgrade.js';
import type { WriteCoalescer } from './write-coalescer.js';

export interface ConnectionContext {
  log: MessageLog;
  queue: CommitQueue;
  /** Shutdown is past its drain: messages are no longer taken (the socket closes with 1001 next). */
  isClosing(): boolean;
  metrics: Metrics;
  writes: WriteCoalescer;
  limits: Pick<WsLimits, 'wsRateLimit' | 'maxBufferedBytes' | 'maxMessageBytes'>;
  /** The session's presence now (ws/presence.ts), for `ready`. */
  presence(sessionPk: number): number;
}

/**
 * One open WebSocket of a session: takes its messages into the commit queue
 * and answers what it sent. Text mode hears only its own echoes, as the
 * original demo did; JSON mode receives every echo of its session in seq
 * order through its feed (feed.ts).
 */
export class SessionConnection {
  /** JSON mode: the session's echoes, by cursor; null in text mode. */
  private readonly feed: SessionFeed | null;
  /** False from a ping until its pong. */
  private alive = true;
  /** Messages allowed per second, burst twice that; null when unlimited. */
  private readonly rate: TokenBucket | null;
  /** Messages refused in a row by the rate limit. */
  private refusedInARow = 0;
  /** Set when a policy close is on its way: nothing more is taken. */
  private closingAfterCommits = false;
  /** `ready` is out: presence changes are sent from now on (before, `ready` carries the count). */
  private isReady = false;
  /** Messages taken into the commit queue whose outcome has not come back (an asynchronous store: several turns). */
  private uncommitted = 0;
  /** The policy close waiting for them. */
  private closeWhenCommitted: (() => void) | undefined;
  /** Over MAX_BUFFERED_BYTES unread: nothing is read from the peer until its socket drains. */
  private behind = false;
  /** Its IP is over WS_IP_BYTES_PER_SECOND: nothing is read from the peer until the debt is paid. */
  private throttled = false;
  /** Output the kernel had taken at the last heartbeat: progress means the peer reads. */
  private deliveredAtHeartbeat = 0;

  constructor(
    readonly ws: WebSocket,
    /** The socket the upgrade handed over: ws's own, which it keeps private. */
    private readonly socket: Duplex,
    readonly session: SessionRecord,
    /**
     * SHA-256 (hex) of the token this socket was authorised with, as `revoked`
     * events name it; null when it was admitted without one (LEGACY_OPEN_SESSIONS).
     */
    readonly tokenHashHex: string | null,
    readonly mode: WireMode,
    private readonly context: ConnectionContext,
    readonly logger: Logger,
    /** The inbound bytes every connection of this client IP shares (WS_IP_BYTES_PER_SECOND); null: unlimited. */
    private readonly ipInbound: TokenBucket | null = null,
  ) {
    const perSecond = context.limits.wsRateLimit;
    this.rate = perSecond > 0 ? new TokenBucket(perSecond, 2 * perSecond) : null;
    this.feed =
      mode === 'json'
        ? new SessionFeed({
            ws,
            sessionPk: session.pk,
            sessionId: session.id,
            log: context.log,
            metrics: context.metrics,
            send: (data, written) => this.send(data, written),
            onFailed: (err) => this.failed(err),
          })
        : null;
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => (this.alive = true));
  }

  /**
   * Called every heartbeat interval: a peer that missed the last ping is
   * terminated, unless its pong may be waiting unread: while it is throttled
   * (countInbound), or behind (checkUnread) and read some of its output
   * meanwhile. A reader that is slow, not gone, is not cut off for that.
   */
  heartbeat(): void {
    const delivered = this.delivered();
    const reading = delivered > this.deliveredAtHeartbeat;
    this.deliveredAtHeartbeat = delivered;
    if (!this.alive && !(this.behind && reading) && !this.throttled) {
      const unread = this.ws.bufferedAmount;
      if (unread > this.context.limits.maxBufferedBytes) this.logger.warn({ bufferedAmount: unread }, 'slow reader read nothing for a heartbeat interval: terminating');
      else this.logger.info('no pong within a heartbeat interval: terminating');
      this.ws.terminate();
      return;
    }
    this.alive = false;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  /** Bytes of output the kernel has taken so far (written minus still buffered, in flight included). */
  private delivered(): number {
    const socket = this.socket as Duplex & { bytesWritten?: number };
    return (socket.bytesWritten ?? 0) - socket.writableLength;
  }

  /**
   * JSON mode: replays what the client missed (after `afterSeq`, if given),
   * then says ready. A client that holds another epoch's history (`epoch`
   * not the session's: a restore, the ID registered anew) is told to reset
   * first, and gets the whole history from seq 1.
   */
  start(afterSeq: number | null, epoch: string | null): void {
    if (!this.feed) return;
    const { epoch: current } = this.session;
    let from = afterSeq;
    if (afterSeq !== null && epoch !== null && epoch !== current) {
      this.sendFrame(resetFrame(current));
      from = 0;
    }
    const ready = (lastSeq: number) => {
      this.sendFrame(readyFrame(lastSeq, this.context.limits.maxMessageBytes, current, this.context.presence(this.session.pk)));
      this.isReady = true;
    };
    this.feed.start(from, ready).catch((err: unknown) => this.failed(err));
  }

  /** A commit of this session, from the bus (JSON mode; text mode hears only its own). */
  onCommitted(event: CommittedEvent, frames: () => readonly string[] | undefined): void {
    this.feed?.onCommitted(event, frames);
  }

  /** The session's presence changed (JSON mode, once `ready` is out: it carried the count until then). */
  onPresence(count: number): void {
    if (this.isReady) this.sendFrame({ type: 'presence', count });
  }

  /** What this connection is doing, for diagnostics and metrics. */
  snapshot(): ConnectionSnapshot {
    return {
      mode: this.mode,
      cursor: this.feed?.cursor ?? 0,
      replaying: this.feed?.replaying ?? false,
      bufferedAmount: this.ws.bufferedAmount,
      behind: this.behind,
      throttled: this.throttled,
      tokenHash: this.tokenHashHex,
    };
  }

  /** The echo of the sender's own message (text mode, or a duplicate resend). */
  private acknowledge(message: AppendResult): void {
    if (this.mode === 'text') this.send(echoText(this.session.id, message.body));
    else this.sendFrame(echoFrame(this.session.id, message));
    this.context.metrics.messagesOut();
  }

  /** Closes with `code` and the reason `"<error code>: <message>"`. */
  close(code: number, error: ErrorCode, message: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code, closeReason(error, message));
    }
  }

  /** The store failed under a replay or catch-up: the client resumes later with ?after= and misses nothing. */
  private failed(err: unknown): void {
    this.logger.error({ err }, 'replay failed');
    this.close(CloseCode.internalError, err instanceof StorageUnavailableError ? 'storage_unavailable' : 'internal', 'replay failed');
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.countInbound((data as Buffer).length);
    // Closing (a policy close on its way, the session deleted, shutdown): nothing more is taken.
    if (this.closingAfterCommits || this.ws.readyState !== WebSocket.OPEN) return;
    if (isBinary) {
      this.closeAfterCommits(CloseCode.unsupportedData, 'invalid_frame', 'binary frames are not supported; send text');
      return;
    }
    // Shutting down, past the drain (during it, messages are taken as ever): the
    // socket closes with 1001 next; an unacknowledged message is the client's
    // to resend after reconnecting.
    if (this.context.isClosing()) return;
    const receivedAt = performance.now();
    this.context.metrics.messageIn(this.mode);
    if (this.rate && !this.rate.take()) return this.onRateLimited(data);
    this.refusedInARow = 0;
    const raw = (data as Buffer).toString('utf8');
    if (this.mode === 'text') return this.store(null, raw, receivedAt);
    const parsed = parseClientFrame(raw);
    if (!parsed.ok) return this.sendFrame(parsed.error);
    this.dispatch(parsed.frame, receivedAt);
  }

  /**
   * What each client frame type does: keyed by every type of protocol's
   * ClientFrame, so a new frame type fails to compile until it is handled.
   */
  private readonly handlers: { [K in ClientFrame['type']]: (frame: Extract<ClientFrame, { type: K }>, receivedAt: number) => void } = {
    send: (frame, receivedAt) => this.store(frame.id ?? null, frame.text, receivedAt),
  };

  private dispatch<F extends ClientFrame>(frame: F, receivedAt: number): void {
    (this.handlers[frame.type] as (frame: F, receivedAt: number) => void)(frame, receivedAt);
  }

  /** Takes a message into the commit queue; its echo is the acknowledgement. */
  private store(clientId: string | null, body: string, receivedAt: number): void {
    this.uncommitted++;
    this.context.queue.enqueue({ sessionPk: this.session.pk, clientId, body }, this.session.id, (err, result) => {
      this.uncommitted--;
      if (err) this.onStoreFailed(err, clientId);
      else {
        // The session's connections had it from the bus already; the sender
        // alone hears a text-mode echo, and a resent id's original.
        if (this.mode === 'text' || result!.duplicate) this.acknowledge(result!);
        this.context.metrics.echoed(performance.now() - receivedAt);
      }
      if (this.uncommitted === 0) this.closeWhenCommitted?.();
    });
  }

  /**
   * Over the rate: the message is dropped (not stored, no echo). JSON clients
   * hear why and resend later, and one that keeps going is closed with 1008;
   * a text client, which cannot be told, is closed with 1008 at once.
   */
  private onRateLimited(data: RawData): void {
    const limit = this.context.limits.wsRateLimit;
    if (this.mode === 'text') {
      // Text mode has no error frame: a dropped message would go unnoticed. Close at the first one,
      // once what was taken is echoed: every echo received is stored, nothing after it is.
      this.logger.warn('rate limit exceeded (text mode): closing');
      this.closeAfterCommits(CloseCode.policyViolation, 'rate_limited', `over ${limit} messages/s: not stored from the one after the last echo`);
      return;
    }
    if (++this.refusedInARow > 2 * limit) {
      this.logger.warn('rate limit exceeded: closing');
      this.closeAfterCommits(CloseCode.policyViolation, 'rate_limited', 'rate limit exceeded');
      return;
    }
    const id = rawClientIdOf((data as Buffer).toString('utf8'));
    this.sendFrame(errorFrame('rate_limited', `more than ${limit} messages per second: this one was not stored; slow down and resend it`, id));
  }

  /**
   * Closes once the messages already taken from this connection are
   * committed and echoed (however many turns the store takes: PostgreSQL
   * answers later than SQLite's same-turn commit), so a policy close never
   * swallows an acknowledgement; nothing more is taken meanwhile.
   */
  private closeAfterCommits(code: number, error: ErrorCode, message: string): void {
    this.closingAfterCommits = true;
    const close = () => this.close(code, error, message);
    if (this.uncommitted === 0) setImmediate(close);
    else this.closeWhenCommitted ??= close;
  }

  private onStoreFailed(err: Error, clientId: string | null): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (err instanceof SessionGoneError) return; // deleted: the socket is closing with 4001
    if (err instanceof SessionStorageFullError) {
      // The client's to fix (delete the session, or tighten its retention): not a server fault.
      this.logger.info('message refused: session storage budget used up');
      const message = `the session stores ${err.maxSessionBytes} bytes of messages, its limit: this one was not stored`;
      if (this.mode === 'json') this.sendFrame(errorFrame('session_storage_full', message, clientId));
      else this.closeAfterCommits(CloseCode.policyViolation, 'session_storage_full', 'message not stored');
      return;
    }
    if (err instanceof StorageUnavailableError && err.kind === 'refused') this.logger.warn({ reason: err.message }, 'message refused by the store');
    else this.logger.error({ err }, 'message not stored');
    if (this.mode === 'json') {
      this.sendFrame(errorFrame('storage_unavailable', 'the message was not stored; send it again', clientId));
    } else {
      this.close(CloseCode.internalError, 'storage_unavailable', 'message not stored');
    }
  }

  private sendFrame(frame: ServerFrame): void {
    this.send(JSON.stringify(frame));
  }

  /**
   * Every frame of the connection goes here: its write coalesced with the
   * run's others, then the slow-reader check. `written`: called once the
   * frame is handed to the kernel (or failed), or at once when the socket is
   * not open, so a caller waiting on it never hangs.
   */
  private send(data: string, written?: () => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) return written?.();
    this.context.writes.hold(this.socket, this.checkUnread);
    this.ws.send(data, written && (() => written()));
  }

  /**
   * After a coalesced write reached the kernel: what is still buffered is
   * output the kernel could not take, because the peer leaves it unread. Past
   * MAX_BUFFERED_BYTES the connection falls behind instead of being cut off:
   * nothing more is read from the peer (its own sends wait in TCP) and, in
   * JSON mode, live echoes stop; once the socket drained, reading resumes and
   * the feed catches up from the store by its cursor, acknowledgements of the
   * peer's own messages included. So memory stays bounded by the cap, and a
   * reader that is slow but reading loses nothing; one that reads nothing is
   * terminated by the heartbeat.
   */
  private readonly checkUnread = (): void => {
    const unread = this.ws.bufferedAmount;
    if (this.behind || unread <= this.context.limits.maxBufferedBytes || this.ws.readyState !== WebSocket.OPEN) return;
    this.behind = true;
    this.logger.info({ bufferedAmount: unread }, 'reader behind: pausing it until it reads');
    this.context.metrics.readerBehind();
    this.updateReading();
    this.feed?.fallBehind();
    // Over the cap the last write returned false, so 'drain' comes once the peer has read it all.
    this.socket.once('drain', () => {
      this.behind = false;
      if (this.ws.readyState !== WebSocket.OPEN) return;
      this.updateReading();
      this.feed?.catchUp();
    });
  };

  /**
   * Counts a message's bytes against its IP's shared inbound rate. What was
   * received is taken (refusing it would not give the bandwidth back); past
   * the rate, reading stops until the debt is paid, so the IP's connections
   * together never read faster than WS_IP_BYTES_PER_SECOND for long, and
   * TCP holds the sender back.
   */
  private countInbound(bytes: number): void {
    const waitMs = this.ipInbound?.spend(bytes) ?? 0;
    if (waitMs === 0 || this.throttled) return;
    this.throttled = true;
    this.updateReading();
    setTimeout(() => {
      this.throttled = false;
      this.updateReading();
    }, waitMs).unref();
  }

  /** Reads from the peer only while it is neither behind nor throttled. */
  private updateReading(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.behind || this.throttled) this.ws.pause();
    else this.ws.resume();
  }
}
