/**
 * The one error type of the service. HTTP renders it as
 * `{"error":{"code","message"}}` with its status; the WebSocket upgrade writes
 * the same status before the 101.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string) => new AppError(400, code, message);
export const unauthorized = (message = 'a valid session token is required') =>
  new AppError(401, 'unauthorized', message);
export const notFound = (code: string, message: string) => new AppError(404, code, message);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
/** 405 naming, in `Allow`, the methods the resource takes (RFC 9110 §15.5.6). */
export const methodNotAllowed = (allowed: readonly string[]) =>
  new AppError(405, 'method_not_allowed', `this resource takes ${allowed.join(', ')}`, { Allow: allowed.join(', ') });
