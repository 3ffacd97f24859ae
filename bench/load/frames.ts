/** WebSocket framing for the load generator: masked client frames out, unmasked server frames in. */

export const OPCODE_TEXT = 0x1;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/** One complete masked client frame (FIN set) carrying `payload`. */
export function buildClientFrame(opcode: number, payload: Buffer, maskKey: Buffer): Buffer {
  const len = payload.length;
  const lenBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const header = 2 + lenBytes + 4;
  const frame = Buffer.allocUnsafe(header + len);
  frame[0] = 0x80 | opcode;
  if (lenBytes === 0) {
    frame[1] = 0x80 | len;
  } else if (lenBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  maskKey.copy(frame, 2 + lenBytes, 0, 4);
  for (let i = 0; i < len; i++) frame[header + i] = payload[i]! ^ maskKey[i & 3]!;
  return frame;
}

/** `count` copies of one frame back to back: a write of n frames is one subarray of it. */
export function repeatFrame(frame: Buffer, count: number): Buffer {
  const out = Buffer.allocUnsafe(frame.length * count);
  for (let i = 0; i < count; i++) frame.copy(out, i * frame.length);
  return out;
}

export type FrameHandler = (opcode: number, data: Buffer, start: number, end: number) => void;

/**
 * Incremental parser of server frames (never masked; 7, 16 and 64-bit
 * lengths). Calls `onFrame` with the payload's range in a buffer that is
 * valid only during the call. Fragmented messages are reported per frame
 * (opcode 0 for continuations): the servers under test never fragment.
 */
export class FrameReader {
  private pending: Buffer | null = null;

  constructor(private readonly onFrame: FrameHandler) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let pos = 0;
    const end = buf.length;
    while (end - pos >= 2) {
      const b0 = buf[pos]!;
      const b1 = buf[pos + 1]!;
      if (b1 & 0x80) throw new Error('server sent a masked frame');
      let len = b1 & 0x7f;
      let header = 2;
      if (len === 126) {
        if (end - pos < 4) break;
        len = buf.readUInt16BE(pos + 2);
        header = 4;
      } else if (len === 127) {
        if (end - pos < 10) break;
        len = Number(buf.readBigUInt64BE(pos + 2));
        header = 10;
      }
      if (end - pos < header + len) break;
      this.onFrame(b0 & 0x0f, buf, pos + header, pos + header + len);
      pos += header + len;
    }
    if (pos < end) this.pending = Buffer.from(buf.subarray(pos));
  }

  /** The bytes of an incomplete frame held back, handed over to another reader. */
  takePending(): Buffer {
    const pending = this.pending ?? Buffer.alloc(0);
    this.pending = null;
    return pending;
  }
}
