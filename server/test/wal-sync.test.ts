import { fsync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { startCheckpointer } from '../store/sqlite/checkpointer.js';
import { openDatabase } from '../store/sqlite/database.js';
import { createWalSync, type WalSyncOptions } from '../store/sqlite/wal-sync.js';
import { tempDir } from './harness.js';

const logger = createLogger({ level: 'silent', format: 'json' });

describe('durability off the event loop (SQLite, DB_SYNC=full)', () => {
  it('resolves a sync only after an fsync of the WAL that started after the call, sharing one among waiting callers', async () => {
    const folder = tempDir();
    const db = openDatabase(join(folder.dir, 'app.db'));
    const events: string[] = [];
    let n = 0;
    // The real fsync, recorded: which sync started and ended when, and on which file.
    const recorded: WalSyncOptions['fsync'] = (fd, callback) => {
      const id = ++n;
      events.push(`start ${id}`);
      fsync(fd, (err) => {
        events.push(`end ${id}`);
        callback(err);
      });
    };
    const wal = createWalSync(db, { fsync: recorded });
    try {
      db.exec('CREATE TABLE t (x INTEGER)');
      const first = wal.sync().then(() => events.push('first done'));
      // Committed while the first fsync runs: these need one that starts after them.
      db.exec('INSERT INTO t VALUES (1)');
      const second = wal.sync().then(() => events.push('second done'));
      const third = wal.sync().then(() => events.push('third done'));
      await Promise.all([first, second, third]);
      expect(events).toEqual(['start 1', 'end 1', 'first done', 'start 2', 'end 2', 'second done', 'third done']);
      await wal.sync();
      expect(n).toBe(3);
    } finally {
      await wal.close();
      db.close();
      folder.remove();
    }
  });

  it('answers a failed fsync with StorageUnavailableError, and syncs again afterwards', async () => {
    const folder = tempDir();
    const db = openDatabase(join(folder.dir, 'app.db'));
    let fail = true;
    const wal = createWalSync(db, {
      fsync: (fd, callback) => (fail ? callback(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })) : fsync(fd, callback)),
    });
    try {
      await expect(wal.sync()).rejects.toMatchObject({ name: 'StorageUnavailableError', message: expect.stringContaining('EIO') });
      fail = false;
      await expect(wal.sync()).resolves.toBeUndefined();
    } finally {
      await wal.close();
      db.close();
      folder.remove();
    }
  });

  it('checkpoints the WAL into the database file from a worker thread, the writer never past its fallback', async () => {
    const folder = tempDir();
    const path = join(folder.dir, 'app.db');
    const db = openDatabase(path);
    db.pragma('synchronous = NORMAL');
    const checkpointer = startCheckpointer(db, { logger, intervalMs: 20, fallbackPages: 1_000_000 });
    try {
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000_000);
      const before = statSync(path).size;
      db.exec('CREATE TABLE t (x BLOB)');
      const insert = db.prepare('INSERT INTO t VALUES (randomblob(4000))');
      db.transaction(() => {
        for (let i = 0; i < 500; i++) insert.run();
      })();
      // The writer never checkpoints (its threshold is a million pages): the database file grows only by the worker.
      await expect.poll(() => statSync(path).size, { timeout: 10_000, interval: 20 }).toBeGreaterThan(before + 500 * 4000);
    } finally {
      await checkpointer.close();
      db.close();
      folder.remove();
    }
  });
});
