import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ensureFolder } from './folder.js';

export interface BackupReport {
  sessions: number;
  messages: number;
  bytes: number;
  ms: number;
}

/**
 * A consistent online copy of the database at `source` into `destination`,
 * with SQLite's backup API (better-sqlite3's db.backup), while a server may be
 * writing to it. After a first small step the rest is copied in one step, so
 * the copy is one snapshot and concurrent commits cannot keep restarting it.
 * The copy is one self-contained file (journal_mode DELETE: no -wal or -shm
 * beside it), in a folder created if missing, and is checked
 * (integrity_check) before this resolves.
 */
export async function backupDatabase(source: string, destination: string, { overwrite = false } = {}): Promise<BackupReport> {
  if (!existsSync(source)) throw new Error(`no database at ${source}`);
  if (existsSync(destination) && !overwrite) throw new Error(`${destination} exists; pass --force to overwrite it`);
  const started = performance.now();
  ensureFolder(dirname(destination));
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(destination, { progress: ({ remainingPages }) => Math.max(remainingPages, 1) });
  } finally {
    db.close();
  }
  const copy = new Database(destination, { fileMustExist: true });
  try {
    // The pages came from a WAL database: the copy would open in WAL mode and grow a -wal and -shm.
    copy.pragma('journal_mode = DELETE');
    const integrity = copy.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') throw new Error(`the copy failed its integrity check: ${String(integrity)}`);
    const count = (table: string) => copy.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    const pages = copy.pragma('page_count', { simple: true }) as number;
    const pageSize = copy.pragma('page_size', { simple: true }) as number;
    return { sessions: count('sessions'), messages: count('messages'), bytes: pages * pageSize, ms: Math.round(performance.now() - started) };
  } finally {
    copy.close();
  }
}
