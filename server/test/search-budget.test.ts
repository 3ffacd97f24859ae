import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../domain/errors.js';
import type { Store } from '../domain/ports.js';
import { createLogger } from '../logger.js';
import { openDatabase } from '../store/sqlite/database.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import { attachIndex } from '../store/sqlite/search-index.js';
import { createSearchQuery, SearchDeadlineError } from '../store/sqlite/search-query.js';
import { termMatcher } from '../store/snippet.js';
import { tempDir } from './harness.js';

const logger = createLogger({ level: 'silent', format: 'json' });
let folder: ReturnType<typeof tempDir> | undefined;
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
  folder?.remove();
});

async function sessions(s: Store, count: number) {
  return Promise.all(Array.from({ length: count }, (_, i) => s.sessions.create(`s${i + 1}`, Buffer.alloc(32), 0)));
}

describe('a search is bounded by its session and by a time budget', () => {
  it('indexes each word scoped to its session, so a prefix never reaches another session (1x.. is not 12x..)', async () => {
    folder = tempDir();
    const path = join(folder.dir, 'app.db');
    store = openSqliteStore(path, { logger });
    const all = await sessions(store, 12);
    const [one, twelve] = [all[0]!, all[11]!];
    expect([one.pk, twelve.pk]).toEqual([1, 12]);
    await store.messages.append([
      { sessionPk: one.pk, clientId: null, body: 'apple' },
      { sessionPk: twelve.pk, clientId: null, body: 'avocado apricot' },
      { sessionPk: twelve.pk, clientId: null, body: '2xa' }, // looks like the scope of session 12 read after "1"
    ]);
    expect((await store.search.search(one.pk, 'a', 10, 0)).hits.map((h) => h.body)).toEqual(['apple']);
    expect((await store.search.search(one.pk, '2', 10, 0)).hits).toEqual([]);
    expect((await store.search.search(twelve.pk, 'a', 10, 0)).hits.map((h) => h.body).sort()).toEqual(['avocado apricot']);
    const db = openDatabase(path);
    try {
      attachIndex(db, path); // the index's own file (search-index.ts), written by the search worker
      db.exec('CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(search, fts, row)');
      const terms = db.prepare('SELECT term FROM vocab ORDER BY term').pluck().all();
      expect(terms).toEqual(['12x2xa', '12xapricot', '12xavocado', '1xapple']);
    } finally {
      db.close();
    }
  });

  // 1 message: searched on the event loop; 150: on the worker thread (search.ts, INLINE_MAX).
  it.each([1, 150])('answers a search past its budget with 503 search_timeout and Retry-After, and the next one normally (session of %i)', async (count) => {
    folder = tempDir();
    store = openSqliteStore(join(folder.dir, 'app.db'), { logger, search: { budgetMs: 0 } });
    const [s] = await sessions(store, 1);
    await store.messages.append(Array.from({ length: count }, (_, i) => ({ sessionPk: s!.pk, clientId: null, body: i === 0 ? 'hello' : `other ${i}` })));
    const err = await store.search.search(s!.pk, 'hello', 10, 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'search_timeout', status: 503, headers: { 'Retry-After': '1' } });
    await store.close();

    store = openSqliteStore(join(folder.dir, 'app.db'), { logger, search: { budgetMs: 60_000 } });
    expect((await store.search.search(s!.pk, 'hello', 10, 0)).hits.map((h) => h.body)).toEqual(['hello']);
    expect((await store.search.search(s!.pk, 'oth', 200, 0)).hits).toHaveLength(count - 1);
  });

  it('searches a small session on the event loop, and one past 50 messages or 4 KiB stored on the worker thread', async () => {
    folder = tempDir();
    store = openSqliteStore(join(folder.dir, 'app.db'), { logger });
    const [small, many, big] = await sessions(store, 3);
    const append = (pk: number, bodies: string[]) => store!.messages.append(bodies.map((body) => ({ sessionPk: pk, clientId: null, body })));
    await append(small!.pk, ['hello there', 'hello again']);
    await append(many!.pk, Array.from({ length: 51 }, (_, i) => `hello ${i}`));
    await append(big!.pk, ['hello ' + 'word '.repeat(1000), 'hello ' + 'more '.repeat(1000)]); // 2 messages, about 10 KB stored
    /** Whether the search had its answer within one turn of the event loop: on the event loop, yes; from a worker just started, no. */
    const withinOneTurn = async (pk: number) => {
      let answered = false;
      const search = store!.search.search(pk, 'hello', 10, 0).then((page) => ((answered = true), page));
      await new Promise((resolve) => setImmediate(resolve));
      const was = answered;
      expect((await search).hits.length).toBeGreaterThan(0);
      return was;
    };
    expect(await withinOneTurn(many!.pk)).toBe(false); // the worker catches the index up first
    expect(await withinOneTurn(small!.pk)).toBe(true);
    // What was committed before a search is found, indexed or not yet (then the worker indexes it before it searches).
    for (let i = 0; i < 20; i++) {
      await append(small!.pk, [`hello newest${i}`]);
      expect((await store.search.search(small!.pk, `newest${i}`, 10, 0)).hits.map((h) => h.body)).toEqual([`hello newest${i}`]);
    }
    await store.close();
    store = openSqliteStore(join(folder.dir, 'app.db'), { logger }); // a new worker, not started yet
    expect(await withinOneTurn(big!.pk)).toBe(false);
  });

  it('tests a repeated query word once when it marks snippets (a query of 100 of the same word costs what two do)', async () => {
    const hundred = termMatcher(Array(100).fill('a'));
    expect([hundred.words, hundred('a'), hundred('ab')]).toEqual([2, [0, 1], [1]]); // `a` and the prefix `a*`
    const twice = termMatcher(['a', 'b', 'a', 'b']);
    expect([twice.words, twice('a'), twice('b'), twice('bc')]).toEqual([3, [0], [1, 2], [2]]);
    expect(termMatcher([]).words).toBe(0);
    folder = tempDir();
    store = openSqliteStore(join(folder.dir, 'app.db'), { logger });
    const [s] = await sessions(store, 1);
    await store.messages.append([{ sessionPk: s!.pk, clientId: null, body: 'a b '.repeat(2000).trim() }]);
    const repeated = await store.search.search(s!.pk, Array(100).fill('a').join(' '), 10, 0);
    expect(repeated).toEqual(await store.search.search(s!.pk, 'a a', 10, 0));
    expect(repeated.hits[0]!.snippet.filter((p) => p.match).map((p) => p.text)).toContain('a');
  });

  it('stops ranking once past its deadline rather than running on (the worker side of the budget)', async () => {
    folder = tempDir();
    const path = join(folder.dir, 'app.db');
    store = openSqliteStore(path, { logger });
    const [s] = await sessions(store, 1);
    await store.messages.append(Array.from({ length: 1000 }, (_, i) => ({ sessionPk: s!.pk, clientId: null, body: `word ${i}` })));
    await store.search.search(s!.pk, 'w', 1, 0); // the worker indexes what was committed before a search
    const db = openDatabase(path);
    try {
      attachIndex(db, path);
      const search = createSearchQuery(db);
      expect(() => search(s!.pk, 'w', 10, 0, -Infinity)).toThrow(SearchDeadlineError);
      expect(search(s!.pk, 'w', 10, 0, Infinity).hits).toHaveLength(10);
    } finally {
      db.close();
    }
  });
});
