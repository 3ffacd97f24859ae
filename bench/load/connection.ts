import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { LatencyRecorder } from '../lib/latency.js';
import type { Dialect } from './dialect.js';
import { buildClientFrame, FrameReader, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG, OPCODE_TEXT, repeatFrame } from './frames.js';

/** Counters shared by every connection of one run. */
export interface LoadStats {
  hist: LatencyRecorder;
  /** While true, echoes are counted and their latency recorded. */
  recording: boolean;
  /** Echoes received while recording. */
  echoes: number;
  /** Echoes received at all. */
  totalEchoes: number;
  /** Echoes whose text was not exactly "<ID>: <body>" in the server's dialect. */
  badEchoes: number;
  /** Pings answered (WebSocket ping frames, or Engine.IO's text ping). */
  pongs: number;
  /** First echo text seen, as a sample for the report. */
  sample: string | null;
  errors: string[];
}

export function newStats(hist: LatencyRecorder): LoadStats {
  return { hist, recording: false, echoes: 0, totalEchoes: 0, badEchoes: 0, pongs: 0, sample: null, errors: [] };
}

const MAX_ERRORS = 20;

/**
 * One generator connection. Its message frame is built and masked once; a
 * send is a write of a slice of pre-built bytes. Echoes come back in order on
 * a connection, so send times sit in a FIFO ring. What a message and its echo
 * look like inside the frames is the dialect's (dialect.ts).
 */
export class LoadConnection {
  private readonly frame: Buffer;
  private readonly frames: Buffer;
  private readonly expected: Buffer;
  private readonly pongFrame: Buffer | null;
  private readonly ring: Float64Array;
  private readonly ringMask: number;
  private head = 0;
  private tail = 0;
  private closedLoop = false;
  private readonly reader: FrameReader;
  private readonly maskKey = randomBytes(4);
  closed = false;

  constructor(
    readonly socket: Socket,
    rest: Buffer,
    readonly sessionId: string,
    body: Buffer,
    /** Messages in flight in closed-loop mode. */
    private readonly window: number,
    private readonly stats: LoadStats,
    private readonly dialect: Dialect,
    ringSize = 4096,
  ) {
    this.frame = buildClientFrame(OPCODE_TEXT, dialect.message(body), this.maskKey);
    this.frames = repeatFrame(this.frame, Math.max(1, window));
    this.expected = dialect.echoPrefix(sessionId, body);
    this.pongFrame = dialect.pong && buildClientFrame(OPCODE_TEXT, dialect.pong, this.maskKey);
    let size = 1;
    while (size < Math.max(ringSize, window * 2)) size <<= 1;
    this.ring = new Float64Array(size);
    this.ringMask = size - 1;
    let received = 0;
    let now = 0;
    this.reader = new FrameReader((opcode, data, start, end) => {
      if (opcode !== OPCODE_TEXT) return this.onControl(opcode, data, start, end);
      const kind = dialect.classify(data, start, end);
      if (kind === 'echo') {
        this.onEcho(data, start, end, now);
        received++;
      } else if (kind === 'ping' && this.pongFrame) {
        this.pong(this.pongFrame);
      } else {
        this.error(`unexpected message: ${data.toString('utf8', start, Math.min(end, start + 120))}`);
      }
    });
    socket.on('data', (chunk: Buffer) => {
      now = performance.now();
      received = 0;
      try {
        this.reader.push(chunk);
      } catch (err) {
        this.error((err as Error).message);
        socket.destroy();
        return;
      }
      if (this.closedLoop && received > 0) this.sendMany(received, now);
    });
    socket.on('error', (err) => this.error(`socket: ${err.message}`));
    socket.on('close', () => {
      this.closed = true;
    });
    if (rest.length > 0) socket.emit('data', rest);
  }

  /** Messages sent whose echo has not arrived yet. */
  get inFlight(): number {
    return this.tail - this.head;
  }

  /** Keeps `window` messages in flight: W now, then one per echo. */
  startClosedLoop(): void {
    this.closedLoop = true;
    this.sendMany(this.window, performance.now());
  }

  /** Stops sending; echoes in flight still arrive. */
  stopSending(): void {
    this.closedLoop = false;
  }

  /** Sends one message whose latency counts from `scheduledAt` (open loop, fixed rate). */
  sendOne(scheduledAt: number): void {
    if (this.closed || this.tail - this.head >= this.ring.length) return;
    this.ring[this.tail++ & this.ringMask] = scheduledAt;
    this.socket.write(this.frame);
  }

  /** Sends a close frame and ends the socket. */
  close(): void {
    if (this.closed) return;
    this.closedLoop = false;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(1000);
    this.socket.end(buildClientFrame(OPCODE_CLOSE, payload, this.maskKey));
  }

  private sendMany(n: number, now: number): void {
    if (this.closed) return;
    let count = n;
    while (count > 0) {
      const k = Math.min(count, this.window);
      for (let i = 0; i < k; i++) this.ring[this.tail++ & this.ringMask] = now;
      this.socket.write(k === this.window ? this.frames : this.frames.subarray(0, k * this.frame.length));
      count -= k;
    }
  }

  private onEcho(data: Buffer, start: number, end: number, now: number): void {
    const stats = this.stats;
    stats.totalEchoes++;
    const n = this.expected.length;
    if (end - start < n || data.compare(this.expected, 0, n, start, start + n) !== 0 || !this.dialect.echoTailOk(data, start + n, end)) {
      stats.badEchoes++;
      if (stats.badEchoes <= 3) this.error(`unexpected echo: ${data.toString('utf8', start, Math.min(end, start + 120))}`);
    } else if (stats.sample === null) {
      stats.sample = data.toString('utf8', start, end);
    }
    if (this.head === this.tail) {
      this.error('echo without a message in flight');
      return;
    }
    const sentAt = this.ring[this.head++ & this.ringMask]!;
    if (stats.recording) {
      stats.echoes++;
      stats.hist.recordMs(now - sentAt);
    }
  }

  private onControl(opcode: number, data: Buffer, start: number, end: number): void {
    if (opcode === OPCODE_PING) {
      this.pong(buildClientFrame(OPCODE_PONG, Buffer.from(data.subarray(start, end)), this.maskKey));
    } else if (opcode === OPCODE_CLOSE) {
      const code = end - start >= 2 ? data.readUInt16BE(start) : 1005;
      if (!this.closed && code !== 1000) this.error(`server closed ${code} ${data.toString('utf8', start + 2, end)}`);
      this.closed = true;
      this.socket.end();
    }
  }

  /** Answers a ping, unless this side has already closed (a ping can cross the close frame). */
  private pong(frame: Buffer): void {
    if (!this.socket.writable) return;
    this.socket.write(frame);
    this.stats.pongs++;
  }

  private error(message: string): void {
    if (this.stats.errors.length < MAX_ERRORS) this.stats.errors.push(`${this.sessionId}: ${message}`);
  }
}
