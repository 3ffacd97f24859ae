import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, writeSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageUnavailableError } from '../domain/errors.js';
import type { DomainLogger, Store } from '../domain/ports.js';
import { createLogger } from '../logger.js';
import { backupDatabase } from '../store/sqlite/backup.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import { restoreDatabase } from '../store/sqlite/restore.js';
import Database from 'better-sqlite3';
import { openDatabase } from '../store/sqlite/database.js';
import { createIndexWriter, indexPath, openIndex, removeIndexFiles } from '../store/sqlite/search-index.js';
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
/** A store on a new temp folder, with one session `a`. */
async function fresh(search: Parameters<typeof openSqliteStore>[1]['search'] = {}) {
  folder = tempDir();
  const path = join(folder.dir, 'app.db');
  const s = (store = openSqliteStore(path, { logger, search }));
  return { path, s, a: (await s.sessions.create('a', Buffer.alloc(32), 0))! };
}
/** A store whose worker indexes only when asked (a search, indexed()): what is behind stays behind. */
const lazyStore = () => fresh({ indexIntervalMs: 3_600_000 });
const ids = (path: string) => withDb(path, (db) => db.prepare<[], number>('SELECT id FROM messages ORDER BY id').pluck().all());

describe('the search index, a file of its own written behind the commits (search-index.ts)', () => {
  it('never gives a new message the id of a purged one, in the same process or after a restart, so every new message is indexed', async () => {
    const { path, a, s: first } = await fresh();
    let s = first;
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
    const { path, a, s: first } = await fresh();
    let s = first;
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
    const { path, a, s: first } = await fresh();
    let s = first;
    await say(s, a.pk, 'kept before the backup');
    await backupDatabase(path, join(dirname(path), 'backup.db'));
    await say(s, a.pk, 'lost after the backup');
    await s.search.indexed();
    await s.close();
    store = undefined;
    await restoreDatabase(join(dirname(path), 'backup.db'), path, { overwrite: true });
    s = open(path);
    // Without a rebuild the stale index would count the next id as indexed, with the lost message's words.
    await say(s, a.pk, 'fresh after the restore');
    expect(await found(s, a.pk, 'lost')).toEqual([]);
    expect(await found(s, a.pk, 'fresh')).toEqual(['fresh after the restore']);
    expect(await found(s, a.pk, 'after')).toEqual(['fresh after the restore']);
    expect(await found(s, a.pk, 'kept')).toEqual(['kept before the backup']);
  });

  it('a retention pass waits for the index to apply its deletes after each batch, so its pacing counts the worker', async () => {
    folder = tempDir();
    const path = join(folder.dir, 'app.db');
    const s = (store = openSqliteStore(path, { logger, search: { indexIntervalMs: 3_600_000 }, retention: { maxAgeMs: 0, maxMessages: 0, batchSize: 500 } }));
    const a = (await s.sessions.create('a', Buffer.alloc(32), 0))!;
    for (let i = 0; i < 9; i++) await say(s, a.pk, ...Array.from({ length: 500 }, (_, j) => `m${i * 500 + j}`));
    await s.search.indexed(); // from here the worker's timer does nothing for an hour: only a wait applies deletes
    // New messages the index has not taken yet: retention waits for its deletes only, never for these.
    const b = (await s.sessions.create('b', Buffer.alloc(32), 0))!;
    await say(s, b.pk, ...Array.from({ length: 3000 }, (_, j) => `new ${j}`));
    await s.sessions.setRetention(a.pk, { maxAgeMs: null, maxMessages: 1 }); // b keeps all of its own
    const state = () => withDb(path, (db) => db.prepare('SELECT indexed_upto, forgot_upto FROM search.state').raw().get(), { index: true });
    expect(await s.retention.runOnce()).toBe(4499);
    // 8 batches of 500 and a last of 499, each waited for: every delete is in the index, none of the new messages.
    expect(state()).toEqual([4500, 4499]);
    expect(await found(s, a.pk, 'm4499')).toEqual(['m4499']);
    expect(state()).toEqual([4500, 4499]); // nothing left to apply for a: searched on the event loop, b's messages not indexed
  });

  it('a retention pass at full speed (a backlog) waits for the index once per 2,000 rows, not after each batch', async () => {
    folder = tempDir();
    const path = join(folder.dir, 'app.db');
    const s = (store = openSqliteStore(path, { logger, search: { indexIntervalMs: 3_600_000 }, retention: { maxAgeMs: 0, maxMessages: 0, batchSize: 500, busyShare: 1 } }));
    const a = (await s.sessions.create('a', Buffer.alloc(32), 0))!;
    for (let i = 0; i < 9; i++) await say(s, a.pk, ...Array.from({ length: 500 }, (_, j) => `m${i * 500 + j}`));
    await s.search.indexed();
    await s.sessions.setRetention(a.pk, { maxAgeMs: null, maxMessages: 1 });
    expect(await s.retention.runOnce()).toBe(4499);
    // 8 batches of 500 and a last of 499: waits after the 4th and the 8th, none for the 499 past the last.
    const state = withDb(path, (db) => db.prepare('SELECT indexed_upto, forgot_upto FROM search.state').raw().get(), { index: true });
    expect(state).toEqual([4500, 4000]);
  });

  it('in memory, a retention pass leaves the index to the next search (its upkeep would run on the event loop)', async () => {
    const s = (store = openSqliteStore(':memory:', { logger, retention: { maxAgeMs: 0, maxMessages: 1, batchSize: 500 } }));
    const a = (await s.sessions.create('a', Buffer.alloc(32), 0))!;
    for (let i = 0; i < 9; i++) await say(s, a.pk, ...Array.from({ length: 500 }, (_, j) => `m${i * 500 + j}`));
    expect(await s.retention.runOnce()).toBe(4499);
    expect(await s.search.indexLag()).toBe(4500); // nothing indexed by the pass
    expect(await found(s, a.pk, 'm4499')).toEqual(['m4499']);
    expect(await s.search.indexLag()).toBe(0);
  });

  it('a retention pass does not wait for an index far behind (being built), which is not its deletes\' work', async () => {
    folder = tempDir();
    const path = join(folder.dir, 'app.db');
    const s = (store = openSqliteStore(path, { logger, search: { indexIntervalMs: 3_600_000 }, retention: { maxAgeMs: 0, maxMessages: 1, batchSize: 500 } }));
    const a = (await s.sessions.create('a', Buffer.alloc(32), 0))!;
    await s.search.indexed(); // caught up with nothing; its timer does nothing for an hour
    for (let i = 0; i < 24; i++) await say(s, a.pk, ...Array.from({ length: 500 }, (_, j) => `m${i * 500 + j}`));
    expect(await s.search.indexLag()).toBe(12_000); // more than 5 chunks of 2,000 behind
    expect(await s.retention.runOnce()).toBe(11_999);
    const state = withDb(path, (db) => db.prepare('SELECT indexed_upto, forgot_upto FROM search.state').raw().get(), { index: true });
    expect(state).toEqual([0, 0]); // a wait due after each of its 24 batches, none made
  });

  it('leaves neither its own WAL nor the index\'s behind once closed, a search on the event loop or not', async () => {
    const { path, a, s } = await fresh();
    await say(s, a.pk, ...Array.from({ length: 300 }, (_, i) => `hello ${i}`));
    await s.search.indexed();
    expect((await s.search.search(a.pk, 'hello', 5, 0)).hits).toHaveLength(5); // the event loop's reader has the index open
    await s.close();
    store = undefined;
    for (const file of [`${path}-wal`, `${path}-shm`, `${indexPath(path)}-wal`, `${indexPath(path)}-shm`]) expect(existsSync(file), file).toBe(false);
  });

  it('says how far the index is behind (the /metrics gauge), and indexed() catches it up', async () => {
    const { s, a } = await lazyStore();
    await s.search.indexed();
    expect(await s.search.indexLag()).toBe(0);
    await say(s, a.pk, 'one', 'two', 'three');
    expect(await s.search.indexLag()).toBe(3);
    await s.search.indexed();
    expect(await s.search.indexLag()).toBe(0);
  });

  it('rebuilds an index found damaged while in use (its state readable, its entries not)', async () => {
    const { path, a, s: first } = await fresh();
    let s = first;
    for (let i = 0; i < 30; i++) await say(s, a.pk, ...Array.from({ length: 100 }, (_, j) => `word${i}x${j} apple banana ${i * j}`));
    await s.search.indexed();
    await s.close();
    // Overwrite the entries' leaf pages (SQLite's dbstat says which), not the state row's page.
    const index = new Database(indexPath(path), { readonly: true });
    const pages = index.prepare<[], number>("SELECT pageno FROM dbstat WHERE name = 'fts_data' AND pagetype = 'leaf'").pluck().all();
    const pageSize = index.pragma('page_size', { simple: true }) as number;
    index.close();
    expect(pages.length).toBeGreaterThan(1);
    const fd = openSync(indexPath(path), 'r+');
    for (const page of pages) writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (page - 1) * pageSize);
    closeSync(fd);
    s = open(path);
    await say(s, a.pk, 'zebra');
    expect(await found(s, a.pk, 'zebra')).toEqual(['zebra']);
    expect((await s.search.search(a.pk, 'apple', 5, 0)).hits).toHaveLength(5);
  });

  it('rebuilds an index that has read further than its messages database (a file copied back over DB_PATH)', async () => {
    const { path, a, s: first } = await fresh();
    let s = first;
    await say(s, a.pk, 'kept words');
    await s.close();
    copyFileSync(path, join(dirname(path), 'earlier.db'));
    s = open(path);
    await say(s, a.pk, 'lost secret words');
    await s.search.indexed();
    await s.close();
    copyFileSync(join(dirname(path), 'earlier.db'), path); // the index file stays: same source, further ahead
    s = open(path);
    await say(s, a.pk, 'fresh message');
    expect(await found(s, a.pk, 'secret')).toEqual([]);
    expect(await found(s, a.pk, 'fresh')).toEqual(['fresh message']);
  });

  it('searches a small session on the event loop only once the deletes logged are applied', async () => {
    const { s, a, path } = await lazyStore();
    await say(s, a.pk, 'hello 1', 'hello 2', 'hello 3', 'hello 4', 'hello 5');
    await s.search.indexed();
    // Deletes logged in search_forget and not applied, as retention leaves them when it does not wait (an index far
    // behind, a worker restarting): the worker applies them only when asked.
    expect(withDb(path, (db) => db.prepare('DELETE FROM messages WHERE session_pk = ? AND seq < 5').run(a.pk).changes)).toBe(4);
    let answered = false;
    const search = s.search.search(a.pk, 'hello', 10, 0).then((page) => ((answered = true), page));
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false); // not on the event loop: the worker applies the deletes first
    expect((await search).hits.map((h) => h.body)).toEqual(['hello 5']);
    answered = false;
    const again = s.search.search(a.pk, 'hello', 10, 0).then((page) => ((answered = true), page));
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(true); // caught up: on the event loop again
    expect((await again).hits.map((h) => h.body)).toEqual(['hello 5']);
  });

  it('trims the log of applied deletes until it is empty, a transaction a turn', async () => {
    const { path, a, s } = await fresh();
    await say(s, a.pk, ...Array.from({ length: 9000 }, (_, i) => `m ${i}`));
    await s.sessions.delete(a.pk);
    await s.retention.purgeDeleted();
    await s.search.indexed();
    const logged = () => withDb(path, (db) => db.prepare<[], number>('SELECT count(*) FROM search_forget').pluck().get()!);
    for (let turn = 0; turn < 1000 && logged() > 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(logged()).toBe(0);
  });

  it('indexes at most about 1 MiB of text a transaction, so big messages never make one long step', () => {
    folder = tempDir();
    const db = openDatabase(join(folder.dir, 'app.db'));
    try {
      db.prepare("INSERT INTO sessions (id, token_hash, created_at) VALUES ('a', zeroblob(32), 0)").run();
      const insert = db.prepare<[number, string]>('INSERT INTO messages (session_pk, seq, body, at) VALUES (1, ?, ?, 0)');
      for (let seq = 1; seq <= 40; seq++) insert.run(seq, `big${seq} `.padEnd(64 * 1024, 'x'));
      openIndex(db, join(folder.dir, 'app.db'));
      const writer = createIndexWriter(db);
      const first = writer.catchUp(Infinity, -Infinity); // one transaction, then the deadline stops it
      expect(first.done).toBe(false);
      expect(first.indexedUpTo).toBeGreaterThanOrEqual(15);
      expect(first.indexedUpTo).toBeLessThanOrEqual(17); // 1 MiB of 64 KiB messages, and the one that crosses it
      expect(writer.catchUp().indexedUpTo).toBe(40);
    } finally {
      db.close();
    }
  });

  it('answers 503 storage_unavailable while the index cannot be opened, at once and saying why', async () => {
    folder = tempDir();
    const path = join(folder.dir, 'app.db');
    mkdirSync(indexPath(path)); // a folder where the index file goes: SQLite cannot open it
    const s = open(path);
    const a = (await s.sessions.create('a', Buffer.alloc(32), 0))!;
    await say(s, a.pk, 'hello');
    for (let i = 0; i < 3; i++) {
      const err = await s.search.search(a.pk, 'hello', 10, 0).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect((err as Error).message).toContain(indexPath(path));
    }
    await expect(s.search.indexed()).rejects.toBeInstanceOf(StorageUnavailableError);
    // The messages are untouched: history reads as ever.
    expect((await s.messages.page(a.pk, Number.MAX_SAFE_INTEGER, 10)).messages.map((m) => m.body)).toEqual(['hello']);
  });

  it('keeps a sound index when the damage is in the messages database (no rebuild after rebuild)', async () => {
    const { path, a, s: first } = await fresh();
    let s = first;
    await say(s, a.pk, ...Array.from({ length: 3000 }, (_, i) => `word${i} filler`));
    await s.search.indexed();
    await say(s, a.pk, 'big '.repeat(10_000)); // overflow pages, not indexed yet
    await s.close();
    const raw = new Database(path);
    const pageSize = raw.pragma('page_size', { simple: true }) as number;
    const overflow = raw.prepare<[], number>("SELECT pageno FROM dbstat WHERE name = 'messages' AND pagetype = 'overflow' ORDER BY pageno").pluck().all();
    raw.close();
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xab), 0, pageSize, (overflow[0]! - 1) * pageSize);
    closeSync(fd);
    const events: string[] = [];
    const log = (obj: object) => void events.push(String((obj as { event?: string }).event));
    const recording: DomainLogger = { info: log, warn: log, error: log };
    s = store = openSqliteStore(path, { logger: recording });
    for (let i = 0; i < 3; i++) await s.search.indexed().catch(() => undefined); // each reaches the damaged row
    expect(events).toContain('search_index_error');
    expect(events).not.toContain('search_index_rebuild');
    expect(withDb(path, (db) => db.prepare('SELECT indexed_upto FROM search.state').pluck().get(), { index: true })).toBe(3000);
  });

  it('never answers an entry whose message is gone, and pages count only messages that exist', async () => {
    const { path, a, s } = await fresh();
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
