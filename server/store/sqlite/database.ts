import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { newEpoch } from '../../domain/epoch.js';
import { ensureFolder } from './folder.js';
import { MIGRATIONS } from './migrations.js';
import { sessionTerms } from './search-terms.js';

export type Db = Database.Database;

export interface DatabaseOptions {
  /** fsync policy of commits: FULL survives power loss, NORMAL only process crashes. */
  synchronous: 'full' | 'normal';
  /** How long a statement waits on a lock held by another process, in ms. */
  busyTimeoutMs: number;
  /**
   * Size in bytes the WAL file is cut back to when the writer starts it over
   * after a checkpoint (SQLite's journal_size_limit). A long backup holds its
   * snapshot, so the WAL grows meanwhile; without a limit the file kept that
   * size on disk for good. 64 MiB: the writer's own checkpoint fallback
   * (checkpointer.ts), far above what a second of writes fills, so the WAL is
   * never cut in everyday use (growing a file again costs its commits).
   */
  walSizeLimitBytes: number;
}

const defaults: DatabaseOptions = { synchronous: 'full', busyTimeoutMs: 250, walSizeLimitBytes: 64 * 1024 * 1024 };

/** Opens (creating file and folder if needed) the database, sets pragmas and migrates it. */
export function openDatabase(path: string, options: Partial<DatabaseOptions> = {}): Db {
  const { synchronous, busyTimeoutMs, walSizeLimitBytes } = { ...defaults, ...options };
  if (path !== ':memory:') ensureFolder(dirname(path));
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    db.pragma(`journal_size_limit = ${Math.trunc(walSizeLimitBytes)}`);
    db.pragma('foreign_keys = ON');
    db.pragma('temp_store = MEMORY');
    registerFunctions(db);
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * The SQL functions the schema calls, on a connection opened by hand (the
 * search worker's, a test's): any connection that deletes messages or reads
 * the search index's content needs session_terms (migration 8).
 */
export function registerFunctions(db: Db): void {
  // A new epoch per call (per row of an UPDATE): migration 7, session creation, restore.
  db.function('new_epoch', { deterministic: false }, newEpoch);
  db.function('session_terms', { deterministic: true }, sessionTerms);
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${current} is newer than this build knows (${MIGRATIONS.length})`,
    );
  }
  db.transaction(() => {
    for (let version = current; version < MIGRATIONS.length; version++) {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }
  }).immediate();
}
