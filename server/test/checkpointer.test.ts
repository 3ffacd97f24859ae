import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { startCheckpointer } from '../store/sqlite/checkpointer.js';
import { openDatabase } from '../store/sqlite/database.js';
import { tempDir } from './harness.js';

const logger = createLogger({ level: 'silent', format: 'json' });

describe('WAL checkpoints off the event loop (SQLite)', () => {
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

  it('cuts the WAL file back to its limit once it was checkpointed, after it grew past it (a long backup, a burst)', () => {
    const folder = tempDir();
    const path = join(folder.dir, 'app.db');
    const limit = 256 * 1024;
    const db = openDatabase(path, { walSizeLimitBytes: limit });
    try {
      db.exec('CREATE TABLE t (x BLOB)');
      const insert = db.prepare('INSERT INTO t VALUES (randomblob(4000))');
      // A reader's snapshot held across the writes keeps the checkpoint from restarting the WAL, as a backup does.
      const reader = openDatabase(path);
      reader.prepare('BEGIN').run();
      reader.prepare('SELECT count(*) FROM t').get();
      db.transaction(() => {
        for (let i = 0; i < 500; i++) insert.run();
      })();
      db.pragma('wal_checkpoint(PASSIVE)');
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(500 * 4000);
      reader.prepare('COMMIT').run();
      reader.close();
      db.pragma('wal_checkpoint(PASSIVE)');
      insert.run(); // the writer starts the WAL over, and cuts the file
      expect(statSync(`${path}-wal`).size).toBeLessThanOrEqual(limit);
      expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 501 });
    } finally {
      db.close();
      folder.remove();
    }
  });
});
