import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Creates `dir` and its missing parents, one level at a time from the first
 * one that exists. Not `mkdirSync(dir, { recursive: true })`: on Node 20 that
 * spins at 100% CPU forever under /proc (`/proc/nope/app.db`), where mkdir
 * says ENOENT for a parent that exists. Throws one line naming the folder.
 */
export function ensureFolder(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!existsSync(at)) {
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  if (existsSync(at) && !statSync(at).isDirectory()) throw new Error(`${at} is not a folder`);
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(level).isDirectory()) continue; // made meanwhile
      throw new Error(`cannot create the folder ${level} (${code ?? (err as Error).message})`, { cause: err });
    }
  }
}

/** Removes the database file at `path` and the journal, WAL and shared-memory files beside it, those that exist. */
export function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(path + suffix, { force: true });
}
