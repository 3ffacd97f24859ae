/**
 * The SQLite store a test server runs on, opened by the test so the test
 * holds what production never exposes: the store's own connection, to force
 * real faults of the engine on it (query_only, max_page_count, a second
 * connection's write lock), a clock commits and retention read, and extra
 * retention runners with limits of the test's choosing. Raw SQL reads go
 * through a separate connection (`withDb`), never the running store's.
 */
import Database from 'better-sqlite3';
import type { Config } from '../config.js';
import type { DomainLogger, RetentionRunner, Store } from '../domain/ports.js';
import { sqliteOptions } from '../store/index.js';
import { openDatabase, registerFunctions, type Db } from '../store/sqlite/database.js';
import { createSqliteStore } from '../store/sqlite/index.js';
import { attachIndex } from '../store/sqlite/search-index.js';
import { createMessageLog } from '../store/sqlite/message-log.js';
import { createRetention, type RetentionOptions } from '../store/sqlite/retention.js';
import { createSessionTable } from '../store/sqlite/sessions.js';

/** Faults of the engine itself, each returning the function that clears it. */
export interface SqliteFaults {
  /** The store's connection refuses writes (SQLITE_READONLY). */
  readOnly(): () => void;
  /** The database may not grow (SQLITE_FULL): what a full disk does. */
  diskFull(): () => void;
  /** Another connection holds the write lock (SQLITE_BUSY after the busy timeout). */
  locked(): () => void;
  /** Closes the connection under the store: every call now fails as a bug would (a TypeError). */
  closeConnection(): void;
}

export function sqliteFaults(db: Db): SqliteFaults {
  return {
    readOnly() {
      db.pragma('query_only = ON');
      return () => db.pragma('query_only = OFF');
    },
    diskFull() {
      const limit = db.pragma('max_page_count', { simple: true }) as number;
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
      return () => db.pragma(`max_page_count = ${limit}`);
    },
    locked() {
      const other = new Database(db.name);
      other.exec('BEGIN IMMEDIATE');
      return () => {
        other.exec('ROLLBACK');
        other.close();
      };
    },
    closeConnection() {
      db.close();
    },
  };
}

export interface SqliteFixture {
  store: Store;
  faults: SqliteFaults;
  /** Sets the time commits are stamped with and retention compares against; null: the real clock. */
  setClock(ms: number | null): void;
  /** A retention runner over the store's own connection, with the test's limits, batch size and clock. */
  retentionRunner(options: Partial<Omit<RetentionOptions, 'now'>> & { now: number }): RetentionRunner;
}

/** The store startServer would open for `config`, opened by the test. */
export function openSqliteFixture(config: Config, logger: DomainLogger): SqliteFixture {
  const db = openDatabase(config.dbPath, { synchronous: config.dbSync });
  let clock: number | null = null;
  const store = createSqliteStore(db, { ...sqliteOptions(config, logger), now: () => clock ?? Date.now() });
  return {
    store,
    faults: sqliteFaults(db),
    setClock: (ms) => (clock = ms),
    retentionRunner: ({ now, ...limits }) =>
      createRetention(
        { db, sessions: createSessionTable(db), messages: createMessageLog(db), logger },
        { maxAgeMs: 0, maxMessages: 0, batchSize: 500, ...limits, now: () => now },
      ),
  };
}

/** A second connection on the test's database, for raw SQL (never the running store's own); closed after `use`. */
export function withDb<T>(path: string, use: (db: Db) => T, { index = false } = {}): T {
  const db = new Database(path, { fileMustExist: !index }); // fileMustExist would refuse to ATTACH an index not made yet
  try {
    registerFunctions(db); // the schema's own (new_epoch, session_terms)
    if (index) attachIndex(db, path); // the search index's own file, as `search` (search-index.ts)
    return use(db);
  } finally {
    db.close();
  }
}
