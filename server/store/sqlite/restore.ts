import { existsSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openDatabase } from './database.js';
import { removeDatabaseFiles } from './folder.js';
import { MIGRATIONS } from './migrations.js';
import { removeIndexFiles } from './search-index.js';

export interface RestoreReport {
  sessions: number;
  messages: number;
  ms: number;
  /** Where the database it replaced is kept (one file, its WAL checkpointed into it), or null when there was none. */
  replaced: string | null;
}

/**
 * Throws unless no other connection has the database at `path` open: it
 * takes SQLite's exclusive lock (locking_mode EXCLUSIVE, then BEGIN
 * EXCLUSIVE, without waiting), which a running server's connection (WAL
 * mode, a shared lock on its shared memory for as long as it is open) does
 * not let anyone take. A missing file is not in use.
 */
function assertNotInUse(path: string): void {
  if (!existsSync(path)) return;
  const db = new Database(path, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new Error(`${path} is in use (a server has it open): stop the server first`, { cause: err });
    }
    throw err;
  } finally {
    db.close();
  }
}

/**
 * Throws unless `db` is a database of this service: a schema version this
 * build knows (1 to MIGRATIONS.length) and its sessions and messages tables.
 * An empty file or another application's SQLite file would otherwise be
 * "restored" as an empty service (it opens, migrates from version 0 and
 * passes integrity_check).
 */
function assertIsBackup(db: Database.Database, path: string): void {
  let version: number;
  let tables: string[];
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    tables = db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('sessions', 'messages')").pluck().all();
  } catch (err) {
    throw new Error(`${path} is not a readable SQLite database: ${(err as Error).message}`, { cause: err });
  }
  if (version < 1 || version > MIGRATIONS.length || tables.length !== 2) {
    throw new Error(`${path} is not a websocket-session backup (schema version ${version}, ${tables.length} of its 2 tables)`);
  }
}

/**
 * Replaces the database at `destination` with the backup at `source`: while
 * no server holds it (assertNotInUse, checked before and after the copy),
 * copied with SQLite's backup API into a file beside it, migrated to this
 * build's schema, every session given a NEW epoch (so a client resuming with
 * a cursor of the history it held before is told to reset, and is not
 * handed seqs that now mean other messages), checked with integrity_check,
 * then renamed over `destination` with its old -wal and -shm removed (a
 * stale WAL must never be applied to the restored file). Refuses to replace
 * an existing database unless `overwrite`; the one it replaces is not
 * deleted but kept beside it as `<destination>.replaced-<time>`, whole (its
 * WAL checkpointed into it first): the messages written since the backup
 * are in it, and a restore of the wrong file can be undone.
 */
export async function restoreDatabase(source: string, destination: string, { overwrite = false } = {}): Promise<RestoreReport> {
  const started = performance.now();
  if (!existsSync(source)) throw new Error(`no backup at ${source}`);
  // In use first: --force cannot help while a server holds it, so say that before asking for --force.
  assertNotInUse(destination);
  if (existsSync(destination) && !overwrite) throw new Error(`${destination} exists; pass --force to replace it with the backup`);
  const staging = `${destination}.restoring`;
  removeDatabaseFiles(staging);
  const backup = new Database(source, { readonly: true, fileMustExist: true });
  try {
    assertIsBackup(backup, source);
    await backup.backup(staging);
  } finally {
    backup.close();
  }
  let report: Omit<RestoreReport, 'ms' | 'replaced'>;
  const db = openDatabase(staging);
  try {
    db.prepare('UPDATE sessions SET epoch = new_epoch()').run();
    // The index file beside the destination indexes the database replaced: a new source makes the server rebuild it.
    db.prepare('UPDATE search_meta SET source = new_epoch()').run();
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') throw new Error(`the backup failed its integrity check: ${String(integrity)}`);
    const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    report = { sessions: count('sessions'), messages: count('messages') };
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err) {
    db.close();
    removeDatabaseFiles(staging);
    throw err;
  }
  db.close();
  assertNotInUse(destination);
  const replaced = existsSync(destination) ? keepReplaced(destination) : null;
  rmSync(`${destination}-wal`, { force: true });
  rmSync(`${destination}-shm`, { force: true });
  removeIndexFiles(destination);
  renameSync(staging, destination);
  removeDatabaseFiles(staging);
  return { ...report, replaced, ms: Math.round(performance.now() - started) };
}

/** Checkpoints the database at `path` into its main file, as one self-contained file, and moves it aside; returns where it went. */
function keepReplaced(path: string): string {
  const old = new Database(path, { fileMustExist: true, timeout: 0 });
  try {
    old.pragma('wal_checkpoint(TRUNCATE)');
    old.pragma('journal_mode = DELETE'); // one self-contained file, like a backup: opening it later grows no -wal or -shm
  } finally {
    old.close();
  }
  const kept = `${path}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  renameSync(path, kept);
  return kept;
}
