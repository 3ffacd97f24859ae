import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { openDatabase } from '../store/sqlite/database.js';
import { createMessageLog } from '../store/sqlite/message-log.js';
import { createMessageSearch } from '../store/sqlite/search.js';
import { createSessionTable } from '../store/sqlite/sessions.js';
import { tempDir } from './harness.js';
import { withDb } from './sqlite-fixture.js';

const logger = createLogger({ level: 'silent', format: 'json' });

describe('retention\'s wait on the search index (deletesApplied, search-worker.ts)', () => {
  it('applies a backlog of deletes a slice at a time: a search asked for meanwhile is answered before the backlog is done', async () => {
    const folder = tempDir();
    const path = join(folder.dir, 'app.db');
    const db = openDatabase(path, { synchronous: 'normal' });
    const search = createMessageSearch(db, { logger, indexIntervalMs: 3_600_000 }); // its timer does nothing for an hour
    try {
      const { pk } = createSessionTable(db).create('a', Buffer.alloc(32), 0)!;
      const log = createMessageLog(db);
      for (let i = 0; i < 50; i++) await log.append(Array.from({ length: 500 }, (_, j) => ({ sessionPk: pk, clientId: null, body: `word ${i * 500 + j}` })));
      await search.indexed();
      // 24,000 deletes logged at once, none applied (a worker that was restarting while retention went on).
      withDb(path, (other) => other.prepare('DELETE FROM messages WHERE session_pk = ? AND seq <= 24000').run(pk));
      const order: string[] = [];
      const applied = search.deletesApplied().then(() => order.push('deletes'));
      const found = search.search(pk, 'word', 5, 0).then((page) => (order.push('search'), page));
      await Promise.all([applied, found]);
      expect(order).toEqual(['search', 'deletes']); // in one go the backlog took seconds, and the search waited behind it
      expect((await found).hits.length).toBe(5);
      expect(withDb(path, (other) => other.prepare('SELECT forgot_upto FROM search.state').pluck().get(), { index: true })).toBe(24_000);
    } finally {
      await search.close();
      db.close();
      folder.remove();
    }
  });
});
