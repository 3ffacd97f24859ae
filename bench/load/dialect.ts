/**
 * What the generator speaks inside WebSocket text frames, per server kind.
 *
 * - `session`: the server's text mode, which the plain references copy: a
 *   frame is the body, its echo exactly "<ID>: <body>".
 * - Socket.IO: Engine.IO v4 packets over a raw WebSocket on
 *   `/socket.io/?EIO=4&transport=websocket` (the protocol is at
 *   github.com/socketio/engine.io-protocol and socket.io-protocol, v4 and v5):
 *   the server opens with `0{"sid",...,"pingInterval",...}`, the client joins
 *   the main namespace with `40` and is answered `40{"sid"...}`; a message is
 *   the event `42["message","<body>"]`, its echo `42["message","<ID>: <body>"]`,
 *   with connection-state recovery `42["message","<ID>: <body>","<offset>"]`;
 *   the server's ping `2` is answered `3`.
 *
 * Every echo is compared byte for byte with what it must be; only the
 * recovery offset, chosen by the server, is checked by its form.
 */
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Variant } from '../lib/server-process.js';
import { buildClientFrame, FrameReader, OPCODE_CLOSE, OPCODE_TEXT } from './frames.js';

export type TextKind = 'echo' | 'ping' | 'other';

export interface Dialect {
  readonly name: string;
  /** Request path of the upgrade for a session. */
  path(sessionId: string): string;
  /** The text payload that carries one message of `body`. */
  message(body: Buffer): Buffer;
  /** The bytes every echo of `body` on `sessionId` starts with. */
  echoPrefix(sessionId: string, body: Buffer): Buffer;
  /** Whether bytes [start, end) are a valid rest of an echo after its prefix. */
  echoTailOk(data: Buffer, start: number, end: number): boolean;
  /** What a text frame from the server is. */
  classify(data: Buffer, start: number, end: number): TextKind;
  /** The text payload answering a ping, when the dialect has text pings. */
  readonly pong: Buffer | null;
  /** The dialect's own handshake after the HTTP upgrade; resolves with the bytes received past it. */
  open(socket: Socket, rest: Buffer): Promise<Buffer>;
}

export const SESSION_TEXT: Dialect = {
  name: 'session text mode',
  path: (sessionId) => `/ws/${sessionId}`,
  message: (body) => body,
  echoPrefix: (sessionId, body) => Buffer.concat([Buffer.from(`${sessionId}: `), body]),
  echoTailOk: (_data, start, end) => start === end,
  classify: () => 'echo',
  pong: null,
  open: (_socket, rest) => Promise.resolve(rest),
};

const CHAR_2 = 0x32;
const CHAR_4 = 0x34;
const CLOSE_BRACKET = 0x5d;
/**
 * `,"<offset>"]`: recovery's offsets are yeast ids (socket.io-adapter's
 * contrib/yeast.js), the time in ms in base-64 digits, with ".<counter>" in
 * the same digits when several are made in one millisecond.
 */
const OFFSET_TAIL = /^,"[0-9A-Za-z_-]{1,12}(?:\.[0-9A-Za-z_-]{1,12})?"\]$/;
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Socket.IO over Engine.IO v4; `offsets`: the server runs connection-state recovery. */
export function socketIo({ offsets }: { offsets: boolean }): Dialect {
  return {
    name: offsets ? 'Socket.IO, recovery offsets' : 'Socket.IO',
    path: (sessionId) => `/socket.io/?EIO=4&transport=websocket&session=${encodeURIComponent(sessionId)}`,
    message: (body) => Buffer.from(`42${JSON.stringify(['message', body.toString('utf8')])}`),
    // The echo's JSON string is left open: what follows it is the tail.
    echoPrefix: (sessionId, body) => Buffer.from(`42["message",${JSON.stringify(`${sessionId}: ${body.toString('utf8')}`)}`),
    echoTailOk: offsets
      ? (data, start, end) => end - start <= 70 && OFFSET_TAIL.test(data.toString('latin1', start, end))
      : (data, start, end) => end - start === 1 && data[start] === CLOSE_BRACKET,
    classify: (data, start, end) =>
      end - start === 1 && data[start] === CHAR_2 ? 'ping'
      : end - start > 2 && data[start] === CHAR_4 && data[start + 1] === CHAR_2 ? 'echo'
      : 'other',
    pong: Buffer.from('3'),
    open: socketIoOpen,
  };
}

/**
 * Engine.IO open packet in, `40` out, the namespace's connect packet in; a
 * ping arriving meanwhile is answered. Anything else fails the connection.
 */
function socketIoOpen(socket: Socket, rest: Buffer): Promise<Buffer> {
  const maskKey = randomBytes(4);
  const send = (text: string) => socket.write(buildClientFrame(OPCODE_TEXT, Buffer.from(text), maskKey));
  return new Promise((resolve, reject) => {
    let state: 'open' | 'connect' | 'done' = 'open';
    const reader = new FrameReader((opcode, data, start, end) => {
      const text = data.toString('utf8', start, end);
      if (opcode === OPCODE_CLOSE) throw new Error(`closed during the Socket.IO handshake: ${text.slice(2)}`);
      if (opcode !== OPCODE_TEXT) return;
      if (text === '2') return void send('3');
      if (state === 'open' && text.startsWith('0')) {
        const open = JSON.parse(text.slice(1)) as { sid?: unknown; pingInterval?: unknown };
        if (typeof open.sid !== 'string' || typeof open.pingInterval !== 'number') throw new Error(`bad Engine.IO open packet: ${text}`);
        state = 'connect';
        send('40');
      } else if (state === 'connect' && text.startsWith('40')) {
        const ack = JSON.parse(text.slice(2)) as { sid?: unknown };
        if (typeof ack.sid !== 'string') throw new Error(`bad Socket.IO connect packet: ${text}`);
        state = 'done';
      } else {
        throw new Error(`unexpected packet during the Socket.IO handshake: ${text.slice(0, 120)}`);
      }
    });
    const timer = setTimeout(() => finish(new Error(`no Socket.IO handshake after ${HANDSHAKE_TIMEOUT_MS} ms`)), HANDSHAKE_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        return finish(err as Error);
      }
      if (state === 'done') finish(null);
    };
    const onClose = () => finish(new Error('socket closed during the Socket.IO handshake'));
    const onError = (err: Error) => finish(new Error(`socket: ${err.message}`));
    function finish(err: Error | null) {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      socket.removeListener('error', onError);
      if (!err) return resolve(reader.takePending());
      socket.destroy();
      reject(err);
    }
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
    if (rest.length > 0) onData(rest);
  });
}

/** The dialect each server variant speaks. */
export function dialectOf(variant: Variant): Dialect {
  return variant === 'd' ? socketIo({ offsets: false }) : variant === 'e' ? socketIo({ offsets: true }) : SESSION_TEXT;
}
