import type { HttpErrorCode } from '../../protocol/errors.js';
import { AppError, StorageUnavailableError } from '../domain/errors.js';

/**
 * Codes for the errors Koa, its body parser and koa-send throw by status; a
 * client's mistake with a status not listed here is a 400 `bad_request`.
 */
const CODE_BY_STATUS: Record<number, HttpErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  431: 'headers_too_large',
};

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
  headers?: Record<string, string>;
}

/**
 * Any thrown value as the AppError a client sees, for HTTP responses and
 * refused WebSocket upgrades alike; 5xx never shows internals.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof StorageUnavailableError) {
    return new AppError('storage_unavailable', 'storage is unavailable right now; retry shortly', { 'Retry-After': '1' });
  }
  const e = (err ?? {}) as HttpLikeError;
  const status = e.status ?? e.statusCode ?? 500;
  if (status < 500 && e.expose !== false && status >= 400) {
    return new AppError(CODE_BY_STATUS[status] ?? 'bad_request', e.message ?? 'bad request', e.headers ?? {});
  }
  return new AppError('internal', 'internal server error');
}
