import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_RESPONSE_HEAD = 16 * 1024;

export interface UpgradeTarget {
  host: string;
  port: number;
  path: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface UpgradedSocket {
  socket: Socket;
  /** Bytes that arrived after the 101 response head (the first frames, if any). */
  rest: Buffer;
}

/** An HTTP upgrade refused by the server: its status and body. */
export class UpgradeRefused extends Error {
  constructor(readonly status: number, body: string) {
    super(`upgrade refused: ${status} ${body.slice(0, 200)}`);
  }
}

/**
 * Opens a TCP connection and performs the WebSocket opening handshake by hand
 * (no client library in the measured path). Resolves once the 101 is read.
 */
export function upgrade(target: UpgradeTarget): Promise<UpgradedSocket> {
  const key = randomBytes(16).toString('base64');
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  const extra = Object.entries(target.headers ?? {})
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const request =
    `GET ${target.path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, noDelay: true });
    let head: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`upgrade timed out: ${target.path}`)), target.timeoutMs ?? 10_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const endOfHead = head.indexOf('\r\n\r\n');
      if (endOfHead < 0) {
        if (head.length > MAX_RESPONSE_HEAD) fail(new Error('upgrade response head too large'));
        return;
      }
      const text = head.subarray(0, endOfHead).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      if (status !== 101) return fail(new UpgradeRefused(status, head.subarray(endOfHead + 4).toString('utf8')));
      if (!new RegExp(`^sec-websocket-accept:\\s*${escape(accept)}\\s*$`, 'im').test(text)) {
        return fail(new Error('bad Sec-WebSocket-Accept'));
      }
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', fail);
      resolve({ socket, rest: head.subarray(endOfHead + 4) });
    };
    socket.on('data', onData);
    socket.once('error', fail);
    socket.once('connect', () => socket.write(request));
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
