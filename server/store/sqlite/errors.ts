import Database from 'better-sqlite3';
import { StorageUnavailableError } from '../../domain/errors.js';

/**
 * SQLite result codes that are the storage's state, not a bug: locked by
 * another connection, read-only, full, an I/O error, a file that cannot be
 * opened (https://sqlite.org/rescode.html). Anything else (a closed
 * connection's TypeError, a constraint broken by a bug) stays what it is and
 * is answered as a 500.
 */
const STORAGE_STATE = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN)/;

/** A thrown value as the domain sees it: a storage fault becomes StorageUnavailableError. */
function translate(err: unknown): unknown {
  if (err instanceof Database.SqliteError && STORAGE_STATE.test(err.code)) {
    return new StorageUnavailableError(`SQLite: ${err.code}: ${err.message}`, { cause: err });
  }
  return err;
}

const rethrow = (err: unknown): never => {
  throw translate(err);
};

/**
 * The one place SQLite's errors are translated: `port` with every method
 * wrapped so that a storage fault, thrown or rejected, leaves it as
 * StorageUnavailableError. Synchronous results stay synchronous (the append
 * path adds no tick).
 */
export function translateFaults<T extends object>(port: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(port)) {
    if (typeof value !== 'function') {
      wrapped[name] = value;
      continue;
    }
    const method = value as (...args: unknown[]) => unknown;
    wrapped[name] = (...args: unknown[]): unknown => {
      let result: unknown;
      try {
        result = method.apply(port, args);
      } catch (err) {
        rethrow(err);
      }
      return result instanceof Promise ? result.catch(rethrow) : result;
    };
  }
  return wrapped as T;
}
