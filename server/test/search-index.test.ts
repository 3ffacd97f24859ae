import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../domain/ports.js';
import { createLogger } from '../logger.js';
import { backupDatabase } from '../store/sqlite/backup.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import { restoreDatabase } from '../store/sqlite/restore.js';
import { indexPath, removeIndexFiles } from '../store/sqlite/search-index.js';
import { tempDir } from './harness.js';
import { withDb } from './sqlite-fixture.js';

const logger = createLogger({ level: 'silent', format: 'json' });
let folder: ReturnType<typeof tempDir> | undefined;
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
  folder?.remove();
  folder = undefined;
});

const open = (path: string) => (store = openSqliteStore(path, { logger }));
const say = (s: Store, sessionPk: number, ...bodies: string[]) => s.messages.append(bodies.map((body) => ({ sessionPk, clientId: null, body })));
const found = async (s: Store, sessionPk: number, q: string) => (await s.search.search(sessionPk, q, 50, 0)).hits.map((h) => h.body).sort();
const ids = (path: string) => withDb(path, (db) => db.prepare<[], number>('SELECT id FROM messages ORDER BY id').pluck().all());

describe('the search index, a file of its own written behind the commits (search-index.ts)', () => {
  it('never gives a new message the id of a purged one, in the same process or after a restart, so every new message is indexed', async () => {
    folder = tempDir();
    const path = join(folder.dir, 'app.db');
    let s = open(path);
    const a = (await s.sessions.create('a', Buffer.alloc(32), 0))!;
    for (const round of [1, 2]) {
      const b = (await s.sessions.create(`b${round}`, Buffer.alloc(32), 0))!;
      await say(s, a.pk, `alpha ${round}`);
      await say(s, b.pk, 'beta', 'beta', 'beta'); // the newest ids of the table
      await s.search.indexed();
      const highest = Math.max(...ids(path));
      await s.sessions.delete(b.pk);
      await s.retention.purgeDeleted();
      if (round === 2) {
        await s.search.indexed(); // the log of deletes applied and trimmed: the floor alone remembers the highest id
        await s.close();
        s = open(path);
      }
      await say(s, a.pk, `alpha again${round}`);
      expect(Math.max(...ids(path))).toBe(highest + 1);
      expect(await found(s, a.pk, `again${round}`)).toEqual([`alpha again${round}`]);
    }
  });

  it('rebuilds an index file that is missing, or that SQLite cannot read, from the messages', async () => {
    folder = tempDir();
    const path = join(folder.dir, 'app.db');
    let s = open(path);
    const a = (await s.sessions.create('a', Buffer.alloc(32), 0))!;
    await say(s, a.pk, 'one apple', 'two apples', 'three pears');
    await s.search.indexed();
    for (const damage of [() => writeFileSync(indexPath(path), 'not a database '.repeat(1000)), () => removeIndexFiles(path)]) {
      await s.close();
      damage();
      s = open(path);
      expect(await found(s, a.pk, 'appl')).toEqual(['one apple', 'two apples']);
    }
  });

  it('rebuilds the index of a restored database: messages written after the backup are not found, new ones are', async () => {
    folder = tempDir();
    const path = join(folder.dir, 'app.db');
    let s = open(path);
    const a = (await s.sessions.create('a', Buffer.alloc(32), 0))!;
    await say(s, a.pk, 'kept before the backup');
    await backupDatabase(path, join(folder.dir, 'backup.db'));
    await say(s, a.pk, 'lost after the backup');
    await s.search.indexed();
    await s.close();
    store = undefined;
    await restoreDatabase(join(folder.dir, 'backup.db'), path, { overwrite: true });
    s = open(path);
    // Without a rebuild the stale index would count the next id as indexed, with the lost message's words.
    await say(s, a.pk, 'fresh after the restore');
    expect(await found(s, a.pk, 'lost')).toEqual([]);
    expect(await found(s, a.pk, 'fresh')).toEqual(['fresh after the restore']);
    expect(await found(s, a.pk, 'after')).toEqual(['fresh after the restore']);
    expect(await found(s, a.pk, 'kept')).toEqual(['kept before the backup']);
  });

  it('says how far the index is behind (the /metrics gauge), and indexed() catches it up', async () => {
    folder = tempDir();
    const path = join(folder.dir, 'app.db');
    const s = (store = openSqliteStore(path, { logger, search: { indexIntervalMs: 3_600_000 } })); // indexes only when asked
    const a = (await s.sessions.create('a', Buffer.alloc(32), 0))!;
    await s.search.indexed();
    expect(await s.search.indexLag()).toBe(0);
    await say(s, a.pk, 'one', 'two', 'three');
    expect(await s.search.indexLag()).toBe(3);
    await s.search.indexed();
    expect(await s.search.indexLag()).toBe(0);
  });

  it('never answers an entry whose message is gone, and pages count only messages that exist', async () => {
    folder = tempDir();
    const path = join(folder.dir, 'app.db');
    const s = open(path);
    const a = (await s.sessions.create('a', Buffer.alloc(32), 0))!;
    await say(s, a.pk, ...Array.from({ length: 60 }, (_, i) => `hello ${i}`)); // past the event loop's bound: the worker searches
    await s.search.indexed();
    // Entries for ids no message has (a delete the index has not applied yet looks like this), ranked first.
    withDb(path, (db) => {
      const ghost = db.prepare<[number, number, string]>('INSERT INTO search.fts (rowid, terms) VALUES (?, session_terms(?, ?))');
      for (let id = 1000; id < 1010; id++) ghost.run(id, a.pk, 'hello hello hello');
    }, { index: true });
    const seen: string[] = [];
    for (let offset = 0; offset < 80; offset += 7) {
      const page = await s.search.search(a.pk, 'hello', 7, offset);
      seen.push(...page.hits.map((h) => h.body));
      expect(page.hasMore).toBe(offset + 7 < 60);
    }
    expect(seen.sort()).toEqual(Array.from({ length: 60 }, (_, i) => `hello ${i}`).sort());
  });
});
