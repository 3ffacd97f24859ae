/**
 * A raw WebSocket client over a plain TCP socket, for sending what no client
 * library would: unmasked frames, RSV bits, reserved opcodes, lying lengths.
 *
 * The opening handshake (101 and Sec-WebSocket-Accept checked) and the parser
 * of server frames are the benchmark's (bench/load); the frame builder is
 * ours, because the benchmark's only builds valid, masked, final frames.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { FrameReader } from '../../bench/load/frames.js';
import { UpgradeRefused, upgrade } from '../../bench/load/handshake.js';

export const Op = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export const RSV1 = 0b100;
export const RSV2 = 0b010;
export const RSV3 = 0b001;

export interface FrameSpec {
  opcode: number;
  payload?: Buffer | string;
  /** Final fragment; default true. */
  fin?: boolean;
  /** RSV bits, 3 bits: RSV1 = 4, RSV2 = 2, RSV3 = 1. */
  rsv?: number;
  /** Clients must mask; false sends the payload in the clear. Default true. */
  mask?: boolean;
  /** Length to declare instead of the payload's (sent with the 64-bit form). */
  declaredLength?: bigint;
}

/** One client frame, valid or not, exactly as specified. */
export function buildFrame(spec: FrameSpec): Buffer {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0));
  const mask = spec.mask ?? true;
  const b0 = ((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) & 7) << 4 | (spec.opcode & 0x0f);
  const len = payload.length;
  let lengthField: Buffer;
  if (spec.declaredLength !== undefined) {
    lengthField = Buffer.alloc(9);
    lengthField[0] = 127;
    lengthField.writeBigUInt64BE(spec.declaredLength, 1);
  } else if (len < 126) {
    lengthField = Buffer.from([len]);
  } else if (len < 65536) {
    lengthField = Buffer.alloc(3);
    lengthField[0] = 126;
    lengthField.writeUInt16BE(len, 1);
  } else {
    lengthField = Buffer.alloc(9);
    lengthField[0] = 127;
    lengthField.writeBigUInt64BE(BigInt(len), 1);
  }
  if (mask) lengthField[0]! |= 0x80;
  const key = mask ? randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(payload);
  if (mask) for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([Buffer.from([b0]), lengthField, key, body]);
}

/** The payload of a close frame: a 2-byte code, then the reason. */
export function closePayload(code: number, reason: Buffer | string = ''): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code);
  return Buffer.concat([head, typeof reason === 'string' ? Buffer.from(reason) : reason]);
}

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

export interface RawTarget {
  host: string;
  port: number;
  path: string;
  headers?: Record<string, string>;
}

/** An open WebSocket at the frame level: write any bytes, read server frames in order. */
export class RawWs {
  private readonly inbox: ServerFrame[] = [];
  private waiters: Array<(frame: ServerFrame | null) => void> = [];
  private ended = false;
  /** Set when the server sent something this parser rejects (a masked frame). */
  parseError: string | null = null;

  private constructor(readonly socket: Socket, rest: Buffer) {
    const reader = new FrameReader((opcode, data, start, end) =>
      this.receive({ opcode, payload: Buffer.from(data.subarray(start, end)) }),
    );
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        this.parseError = (err as Error).message;
        socket.destroy();
      }
    });
    // The server may reset a socket it has given up on while we still write: that is an end, not a crash.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.ended = true;
      for (const waiter of this.waiters.splice(0)) waiter(null);
    });
    if (rest.length > 0) socket.emit('data', rest);
  }

  /** Performs the opening handshake; rejects with UpgradeRefused (its `status`) on anything but 101. */
  static async open(target: RawTarget): Promise<RawWs> {
    const { socket, rest } = await upgrade({ ...target, timeoutMs: 5000 });
    return new RawWs(socket, rest);
  }

  /** Writes frames (built or raw bytes) in one write; ignored once the socket is gone. */
  send(...frames: Array<FrameSpec | Buffer>): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(Buffer.concat(frames.map((f) => (Buffer.isBuffer(f) ? f : buildFrame(f)))));
  }

  /** The next server frame, or null once the connection has ended. */
  next(): Promise<ServerFrame | null> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Reads until the server's close frame, answers it (completing the closing
   * handshake) and ends the socket. Resolves with the close code (1005 when
   * the frame had none) and reason, or null when the connection ended first.
   */
  async closed(): Promise<{ code: number; reason: string } | null> {
    for (;;) {
      const frame = await this.next();
      if (!frame) return null;
      if (frame.opcode !== Op.close) continue;
      const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
      this.send({ opcode: Op.close, payload: frame.payload.subarray(0, 2) });
      this.socket.end();
      return { code, reason: frame.payload.subarray(2).toString('utf8') };
    }
  }

  /** Ends the connection without a closing handshake. */
  destroy(): void {
    this.socket.destroy();
  }

  private receive(frame: ServerFrame): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(frame);
    else this.inbox.push(frame);
  }
}

/**
 * The status an upgrade gets: 101 (then closed with 1000, and resolved once the
 * TCP connection is gone, so the server no longer counts it) or the refusal's.
 */
export async function upgradeStatus(target: RawTarget): Promise<number> {
  let ws: RawWs;
  try {
    ws = await RawWs.open(target);
  } catch (err) {
    if (err instanceof UpgradeRefused) return err.status;
    throw err;
  }
  const gone = new Promise((resolve) => ws.socket.once('close', resolve));
  ws.send({ opcode: Op.close, payload: closePayload(1000) });
  await ws.closed();
  await gone;
  return 101;
}

export { UpgradeRefused };
