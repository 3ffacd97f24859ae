import { STATUS_CODES, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from '../../protocol/errors.js';
import type { AppError } from '../domain/errors.js';

/** How long a refused raw socket stays open after its answer, in ms: long enough for a client to read it. */
export const LINGER_MS = 1000;

/**
 * Writes `err` as a complete HTTP/1.1 response and closes the connection: on
 * a raw socket (a refused upgrade, a request Node could not parse, CONNECT)
 * or on a ServerResponse (plain HTTP on the WebSocket port). The body is the
 * API's own (`{"error":{"code","message"}}`); `err.headers` come last, so
 * they can replace `Connection`.
 *
 * A raw socket is closed the way nginx's `lingering_close` does it, for the
 * same reason: a client may still be sending (a slow request head, frames
 * right behind its upgrade request), and a socket destroyed with bytes
 * arriving answers them with a TCP reset, on which the client's next write
 * fails (EPIPE) and its stack drops the answer unread. So the answer and our
 * FIN go out, reading stops (nothing more is parsed), and the socket is
 * destroyed LINGER_MS later, or at once if the client had already hung up.
 */
export function writeError(target: Duplex | ServerResponse, err: AppError): void {
  const body = JSON.stringify(errorBody(err.code, err.message));
  const headers: Record<string, string> = {
    Connection: 'close',
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    ...err.headers,
  };
  if (target instanceof ServerResponse) {
    target.writeHead(err.status, headers);
    target.end(body);
    return;
  }
  if (!target.writable) {
    target.destroy();
    return;
  }
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  target.end(`HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ''}\r\n${head}\r\n${body}`);
  if (!target.readable) {
    target.once('finish', () => target.destroy());
    return;
  }
  // pause() also stops Node's HTTP parser, which reads a server socket's handle directly (onSocketPause).
  target.pause();
  const linger = setTimeout(() => target.destroy(), LINGER_MS);
  target.once('close', () => clearTimeout(linger));
}
