import Database from 'better-sqlite3';
import { StorageUnavailableError } from '../../domain/errors.js';
import { translateFaults as translateAll } from '../faults.js';

/**
 * SQLite result codes that are the storage's state, not a bug: locked by
 * another connection, read-only, full, an I/O error, a file that cannot be
 * opened (https://sqlite.org/rescode.html). Anything else (a closed
 * connection's TypeError, a constraint broken by a bug) stays what it is and
 * is answered as a 500.
 */
const STORAGE_STATE = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN)/;

/** A thrown value as the domain sees it: a storage fault becomes StorageUnavailableError. */
export function translate(err: unknown): unknown {
  if (err instanceof Database.SqliteError && STORAGE_STATE.test(err.code)) {
    return new StorageUnavailableError(`SQLite: ${err.code}: ${err.message}`, { cause: err });
  }
  return err;
}

/** The one place SQLite's errors are translated: `port` with every method wrapped (../faults.ts). */
export function translateFaults<T extends object>(port: T): T {
  return translateAll(port, translate);
}
