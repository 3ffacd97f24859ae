import { STATUS_CODES, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from '../../protocol/errors.js';
import type { AppError } from '../domain/errors.js';

/**
 * Writes `err` as a complete HTTP/1.1 response and closes the connection: on
 * a raw socket (a refused upgrade, a request Node could not parse, CONNECT)
 * or on a ServerResponse (plain HTTP on the WebSocket port). The body is the
 * API's own (`{"error":{"code","message"}}`); `err.headers` come last, so
 * they can replace `Connection`.
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
  target.once('finish', () => target.destroy());
}
