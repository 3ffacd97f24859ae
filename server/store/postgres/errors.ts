import { StorageUnavailableError } from '../../domain/errors.js';
import { translateFaults as translateAll } from '../faults.js';

/**
 * PostgreSQL SQLSTATE classes and codes that are the database's state, not
 * a bug (https://www.postgresql.org/docs/15/errcodes-appendix.html):
 * 08 connection exception, 53 insufficient resources (disk full, out of
 * memory, too many connections), 57P admin shutdown / crash shutdown /
 * cannot connect now, 58 system error (I/O), 25006 read-only transaction,
 * 40001 serialization failure, 40P01 deadlock, 55P03 lock not available
 * (lock_timeout), 57014 query canceled (statement_timeout).
 */
const SQLSTATE = /^(08|53|57P|58)...$|^(25006|40001|40P01|55P03|57014)$/;
/** Errors of the socket to the server (refused, reset, unreachable, timed out). */
const SOCKET = /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/;
/** node-postgres's own messages for a connection that ended or could not be made in time. */
const CLIENT = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i;

/** Is this error the database being unreachable or refusing, rather than a bug? */
export function isStorageFault(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // SQLSTATE from the server, or errno from the socket.
  const state = (err as { code?: unknown }).code;
  if (typeof state === 'string' && (SQLSTATE.test(state) || SOCKET.test(state))) return true;
  return CLIENT.test(err.message);
}

/** A thrown value as the domain sees it: a storage fault becomes StorageUnavailableError. */
export function translate(err: unknown): unknown {
  if (err instanceof StorageUnavailableError || !isStorageFault(err)) return err;
  const code = (err as { code?: string }).code;
  return new StorageUnavailableError(`PostgreSQL: ${code ? `${code}: ` : ''}${(err as Error).message}`, { cause: err });
}

/** The one place PostgreSQL's errors are translated: `port` with every method wrapped (../faults.ts). */
export function translateFaults<T extends object>(port: T): T {
  return translateAll(port, translate);
}
