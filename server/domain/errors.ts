import { ERROR_CATALOGUE, type HttpErrorCode } from '../../protocol/errors.js';

/**
 * The one error type a client sees. HTTP renders it as
 * `{"error":{"code","message"}}` with its status; a refused WebSocket upgrade
 * writes the same before the 101. The status is the catalogue's for the code
 * (protocol/errors.ts), so a code and its status cannot disagree.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly status: number;
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = ERROR_CATALOGUE[code].status;
  }
}

/**
 * The storage cannot take a read or a write now: the database is locked,
 * read-only, full, unreachable, or the free disk is under its floor. The one
 * storage error outside the adapters (each translates its engine's faults
 * into it, see server/store/<engine>/errors.ts); HTTP answers it with 503
 * `storage_unavailable`, a JSON-mode socket with an error frame, a text-mode
 * socket with close 1011. Nothing was written when it is thrown.
 */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
  /**
   * `refused`: the adapter declined before trying (a policy, like the free
   * disk floor), an operator's matter; `fault`: the engine failed.
   */
  readonly kind: 'refused' | 'fault';
  constructor(message: string, options: { cause?: unknown; kind?: 'refused' | 'fault' } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options.kind ?? 'fault';
  }
}

type CodeWithStatus<S extends number> = {
  [K in HttpErrorCode]: (typeof ERROR_CATALOGUE)[K]['status'] extends S ? K : never;
}[HttpErrorCode];

export const badRequest = (code: CodeWithStatus<400>, message: string) => new AppError(code, message);
export const unauthorized = (message = 'a valid session token is required') => new AppError('unauthorized', message);
export const notFound = (code: CodeWithStatus<404>, message: string) => new AppError(code, message);
export const conflict = (code: CodeWithStatus<409>, message: string) => new AppError(code, message);
/** 405 naming, in `Allow`, the methods the resource takes (RFC 9110 §15.5.6). */
export const methodNotAllowed = (allowed: readonly string[]) =>
  new AppError('method_not_allowed', `this resource takes ${allowed.join(', ')}`, { Allow: allowed.join(', ') });
