import type { AppError } from '../domain/errors.js';

/**
 * The level an answered error is logged at, for HTTP requests and refused
 * WebSocket upgrades alike: `internal` (a bug of the server's own) is an
 * error, logged with its stack; any other 5xx is answered on purpose
 * (draining, storage_unavailable, server_full) and is a warning; a 4xx is
 * the client's mistake and only information.
 */
export function logLevelOf(err: AppError): 'error' | 'warn' | 'info' {
  if (err.code === 'internal') return 'error';
  return err.status >= 500 ? 'warn' : 'info';
}
