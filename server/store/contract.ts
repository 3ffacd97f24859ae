/**
 * The store contract: what every store adapter must do, as one Vitest suite
 * parameterised by a factory. SQLite runs it (server/test/store-sqlite.test.ts);
 * a new engine runs it from a test of its own, its factory starting and
 * stopping the engine (a private PostgreSQL on a free port, say) in
 * setup/teardown. Faults are the engine's own, reached through the factory,
 * never simulated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageUnavailableError } from '../domain/errors.js';
import {
  SessionGoneError,
  SessionStorageFullError,
  type AppendInput,
  type AppendOutcome,
  type AppendResult,
  type SessionRecord,
} from '../domain/model.js';
import type { Store } from '../domain/ports.js';

export interface ContractStoreOptions {
  /** MAX_SESSION_BYTES; 0: no limit. */
  maxSessionBytes: number;
  /** The deployment's retention; 0: none. */
  retention: { maxAgeMs: number; maxMessages: number };
}

export interface StoreUnderTest {
  store: Store;
  /** A real fault of the engine that refuses writes; resolves to the function that clears it. */
  readOnly(): Promise<() => Promise<void>>;
  /** Sets the time commits are stamped with and retention compares against (ms; null: the real clock). */
  setClock(ms: number | null): void;
  /** Closes the store and removes what the factory made for it. */
  close(): Promise<void>;
}

export interface StoreFactory {
  /** Once before the suite: start the engine. */
  setup?(): Promise<void>;
  /** Once after the suite: stop it. */
  teardown?(): Promise<void>;
  /** A new, empty store. */
  open(options: ContractStoreOptions): Promise<StoreUnderTest>;
}

const DAY = 24 * 60 * 60 * 1000;
const HASH = Buffer.alloc(32, 7);

/** Awaits an append whichever way it settles. */
const append = async (store: Store, items: AppendInput[]): Promise<AppendOutcome[]> => store.messages.append(items);
const stored = (outcomes: AppendOutcome[]): AppendResult[] =>
  outcomes.map((o) => {
    if (o instanceof Error) throw o;
    return o;
  });
const texts = (pk: number, ...bodies: string[]): AppendInput[] => bodies.map((body) => ({ sessionPk: pk, clientId: null, body }));

export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    const defaults: ContractStoreOptions = { maxSessionBytes: 0, retention: { maxAgeMs: 0, maxMessages: 0 } };

    /** Runs `test` on a fresh store, closed afterwards. */
    const withStore = (test: (s: StoreUnderTest) => Promise<void>, options: Partial<ContractStoreOptions> = {}) => async () => {
      const s = await factory.open({ ...defaults, ...options });
      try {
        await test(s);
      } finally {
        await s.close();
      }
    };
    const session = async (store: Store, id: string): Promise<SessionRecord> => (await store.sessions.create(id, HASH, Date.now()))!;

    if (factory.setup) beforeAll(factory.setup, 120_000);
    if (factory.teardown) afterAll(factory.teardown, 120_000);

    it(
      'creates a session once: the same ID again is taken; a record carries an epoch',
      withStore(async ({ store }) => {
        const created = await session(store, 'alpha');
        expect(created).toMatchObject({ id: 'alpha', tokenHash: HASH, epoch: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) });
        expect(await store.sessions.create('alpha', HASH, 0)).toBeUndefined();
        expect(await store.sessions.findById('alpha')).toEqual(created);
        expect(await store.sessions.findById('nobody')).toBeUndefined();
        await store.sessions.setRetention(created.pk, { maxAgeMs: DAY, maxMessages: null });
        expect((await store.sessions.findById('alpha'))!.retention).toEqual({ maxAgeMs: DAY, maxMessages: null });
      }),
    );

    it(
      'replaces a token hash only from the current one (compare-and-set): of concurrent replacements one wins',
      withStore(async ({ store }) => {
        const s = await session(store, 'keyed');
        const other = await session(store, 'untouched');
        const [next1, next2] = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];
        const results = await Promise.all([store.sessions.replaceTokenHash(s.pk, HASH, next1), store.sessions.replaceTokenHash(s.pk, HASH, next2)]);
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results[0] ? next1 : next2;
        expect((await store.sessions.findById('keyed'))!.tokenHash).toEqual(winner);
        expect(await store.sessions.replaceTokenHash(s.pk, HASH, next1)).toBe(false);
        expect((await store.sessions.findById('untouched'))!.tokenHash).toEqual(other.tokenHash);
        await store.sessions.delete(s.pk);
        expect(await store.sessions.replaceTokenHash(s.pk, winner, next1)).toBe(false);
      }),
    );

    it(
      'reads the token hashes of many sessions at once, as they are now, leaving out the deleted (the heal timer\'s read)',
      withStore(async ({ store }) => {
        const [a, b, gone] = [await session(store, 'th-a'), await session(store, 'th-b'), await session(store, 'th-gone')];
        const next = Buffer.alloc(32, 7);
        expect(await store.sessions.replaceTokenHash(b.pk, b.tokenHash, next)).toBe(true);
        await store.sessions.delete(gone.pk);
        const hashes = await store.sessions.tokenHashes([a.pk, b.pk, gone.pk, 987_654]);
        expect([...hashes.keys()].sort((x, y) => x - y)).toEqual([a.pk, b.pk]);
        expect(hashes.get(a.pk)).toEqual(a.tokenHash);
        expect(hashes.get(b.pk)).toEqual(next);
        expect((await store.sessions.tokenHashes([])).size).toBe(0);
      }),
    );

    it(
      'gives concurrent appenders on one session contiguous seqs, each message once',
      withStore(async ({ store }) => {
        const a = await session(store, 'busy');
        const b = await session(store, 'other');
        const appenders = Array.from({ length: 8 }, (_, n) =>
          (async () => {
            const seqs: number[] = [];
            for (let i = 0; i < 10; i++) {
              const outcomes = stored(await append(store, [...texts(a.pk, `${n}.${i}a`, `${n}.${i}b`), ...texts(b.pk, `${n}.${i}`)]));
              seqs.push(...outcomes.filter((_, k) => k < 2).map((o) => o.seq));
            }
            return seqs;
          })(),
        );
        const seqs = (await Promise.all(appenders)).flat().sort((x, y) => x - y);
        expect(seqs).toEqual(Array.from({ length: 160 }, (_, i) => i + 1));
        expect(await store.messages.lastSeq(a.pk)).toBe(160);
        expect(await store.messages.lastSeq(b.pk)).toBe(80);
        const all = await store.messages.after(a.pk, 0, 1000);
        expect(all.map((m) => m.seq)).toEqual(seqs);
        expect(new Set(all.map((m) => m.body)).size).toBe(160);
      }),
    );

    it(
      'answers a repeated client id with the original, in the same batch and across batches, storing nothing new',
      withStore(async ({ store }) => {
        const s = await session(store, 'idem');
        const first = stored(
          await append(store, [
            { sessionPk: s.pk, clientId: 'c1', body: 'original' },
            { sessionPk: s.pk, clientId: 'c1', body: 'resent in the same batch' },
            { sessionPk: s.pk, clientId: null, body: 'other' },
          ]),
        );
        expect(first.map((r) => [r.seq, r.clientId, r.body, r.duplicate])).toEqual([
          [1, 'c1', 'original', false],
          [1, 'c1', 'original', true],
          [2, null, 'other', false],
        ]);
        const again = stored(await append(store, [{ sessionPk: s.pk, clientId: 'c1', body: 'resent later' }]));
        expect(again).toEqual([{ ...first[0], duplicate: true }]);
        expect(await store.messages.lastSeq(s.pk)).toBe(2);
        expect((await store.messages.after(s.pk, 0, 10)).map((m) => m.body)).toEqual(['original', 'other']);
      }),
    );

    it(
      'answers concurrent reads after a seq each on its own: their sessions, cursors and limits, in seq order',
      withStore(async ({ store }) => {
        const sessions = [await session(store, 'ra'), await session(store, 'rb'), await session(store, 'rc')];
        for (const [i, s] of sessions.entries()) stored(await append(store, texts(s.pk, ...Array.from({ length: 5 + i }, (_, n) => `${s.id}-${n + 1}`))));
        const asks = sessions.flatMap((s) => [0, 2, 4, 99].flatMap((after) => [1, 3].map((limit) => ({ s, after, limit }))));
        asks.push(asks[0]!, asks[5]!); // the same read twice at once
        const answers = await Promise.all(asks.map(({ s, after, limit }) => store.messages.after(s.pk, after, limit)));
        asks.forEach(({ s, after, limit }, i) => {
          const last = 5 + sessions.indexOf(s);
          const seqs = Array.from({ length: Math.max(0, Math.min(limit, last - after)) }, (_, n) => after + n + 1);
          expect(answers[i]!.map((m) => [m.seq, m.body])).toEqual(seqs.map((seq) => [seq, `${s.id}-${seq}`]));
        });
      }),
    );

    it(
      'pages history newest first, each page ascending, and reads after a seq in order',
      withStore(async ({ store }) => {
        const s = await session(store, 'paged');
        stored(await append(store, texts(s.pk, ...Array.from({ length: 25 }, (_, i) => `m${i + 1}`))));
        const newest = await store.messages.page(s.pk, 2 ** 32, 10);
        expect(newest.messages.map((m) => m.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
        expect(newest.hasMore).toBe(true);
        const oldest = await store.messages.page(s.pk, 6, 10);
        expect(oldest).toMatchObject({ hasMore: false });
        expect(oldest.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
        expect((await store.messages.after(s.pk, 20, 3)).map((m) => m.body)).toEqual(['m21', 'm22', 'm23']);
        expect(await store.messages.after(s.pk, 25, 3)).toEqual([]);
      }),
    );

    it(
      'never lets lastSeq go back, retention included, and after() skips what retention deleted',
      withStore(
        async ({ store, setClock }) => {
          const s = await session(store, 'kept');
          setClock(Date.now() - 10 * DAY);
          stored(await append(store, texts(s.pk, 'old 1', 'old 2')));
          setClock(null);
          stored(await append(store, texts(s.pk, ...Array.from({ length: 8 }, (_, i) => `new ${i + 3}`))));
          // Age (5 days) takes 1 and 2, count (5) takes 3 to 5.
          expect(await store.retention.runOnce()).toBe(5);
          expect((await store.messages.after(s.pk, 2, 100)).map((m) => m.seq)).toEqual([6, 7, 8, 9, 10]);
          expect(await store.messages.lastSeq(s.pk)).toBe(10);
          // Everything goes: the numbering still goes on.
          await store.sessions.setRetention(s.pk, { maxAgeMs: null, maxMessages: 1 });
          expect(await store.retention.runOnce()).toBe(4);
          setClock(Date.now() + 30 * DAY);
          expect(await store.retention.runOnce()).toBe(1);
          setClock(null);
          expect(await store.messages.after(s.pk, 0, 100)).toEqual([]);
          expect(await store.messages.lastSeq(s.pk)).toBe(10);
          expect(stored(await append(store, texts(s.pk, 'after'))).map((r) => r.seq)).toEqual([11]);
        },
        { retention: { maxAgeMs: 5 * DAY, maxMessages: 5 } },
      ),
    );

    it(
      'makes a deleted session unreachable at once: no record, no history, no search, appends refused; the ID registered again starts anew',
      withStore(async ({ store }) => {
        const s = await session(store, 'doomed');
        stored(await append(store, texts(s.pk, 'findable words', 'more words')));
        expect(await store.sessions.delete(s.pk)).toBe(true);
        expect(await store.sessions.delete(s.pk)).toBe(false);
        expect(await store.sessions.findById('doomed')).toBeUndefined();
        expect(await store.messages.after(s.pk, 0, 10)).toEqual([]);
        expect((await store.messages.page(s.pk, 2 ** 32, 10)).messages).toEqual([]);
        expect((await store.search.search(s.pk, 'findable', 10, 0)).hits).toEqual([]);
        const late = await append(store, texts(s.pk, 'too late'));
        expect(late[0]).toBeInstanceOf(SessionGoneError);
        expect(await store.messages.after(s.pk, 0, 10)).toEqual([]);

        const again = await session(store, 'doomed');
        expect(again.pk).not.toBe(s.pk);
        expect(again.epoch).not.toBe(s.epoch);
        expect(await store.messages.lastSeq(again.pk)).toBe(0);
        expect(stored(await append(store, texts(again.pk, 'first again'))).map((r) => r.seq)).toEqual([1]);
        await store.retention.runOnce(); // the purge of the old rows leaves the new session alone
        expect((await store.messages.after(again.pk, 0, 10)).map((m) => m.body)).toEqual(['first again']);
      }),
    );

    it(
      'purges deleted sessions alone on purgeDeleted, every row in batches, and leaves the retention of the others to the pass',
      withStore(
        async ({ store }) => {
          const kept = await session(store, 'over-limit');
          stored(await append(store, texts(kept.pk, 'k1', 'k2', 'k3', 'k4')));
          const doomed = await session(store, 'purged');
          stored(await append(store, texts(doomed.pk, ...Array.from({ length: 7 }, (_, i) => `d${i + 1}`))));
          expect(await store.sessions.delete(doomed.pk)).toBe(true);

          expect(await store.retention.purgeDeleted()).toBe(7);
          expect(await store.retention.purgeDeleted()).toBe(0); // nothing left of it
          expect((await store.messages.after(kept.pk, 0, 10)).map((m) => m.body)).toEqual(['k1', 'k2', 'k3', 'k4']);
          expect(await store.retention.runOnce()).toBe(2); // the pass: over the deployment's 2
        },
        { retention: { maxAgeMs: 0, maxMessages: 2 } },
      ),
    );

    it(
      'refuses, on its own, an append that would pass the session\'s storage budget; a resend of a stored id is still answered',
      withStore(
        async ({ store }) => {
          const s = await session(store, 'budget');
          const outcomes = await append(store, [
            // messageCost: body + client id + MESSAGE_OVERHEAD_BYTES (64): 165, 165, 85.
            { sessionPk: s.pk, clientId: 'a', body: 'x'.repeat(100) },
            { sessionPk: s.pk, clientId: 'b', body: 'y'.repeat(100) },
            { sessionPk: s.pk, clientId: 'c', body: 'z'.repeat(20) },
            { sessionPk: s.pk, clientId: 'a', body: 'resent' },
            // A resend of a refused id in the same batch is refused too: the session's bytes only grew since.
            { sessionPk: s.pk, clientId: 'b', body: 'y'.repeat(100) },
          ]);
          expect(outcomes.map((o) => (o instanceof SessionStorageFullError ? 'full' : o instanceof Error ? o.name : o.seq))).toEqual([1, 'full', 2, 1, 'full']);
        },
        { maxSessionBytes: 250 },
      ),
    );

    it(
      'throws StorageUnavailableError on a forced fault of the engine, writes nothing, and works again once it clears',
      withStore(async ({ store, readOnly }) => {
        const s = await session(store, 'faulty');
        stored(await append(store, texts(s.pk, 'before')));
        const clear = await readOnly();
        try {
          await expect(append(store, texts(s.pk, 'during'))).rejects.toBeInstanceOf(StorageUnavailableError);
          await expect(store.sessions.create('during', HASH, 0)).rejects.toBeInstanceOf(StorageUnavailableError);
          await expect(store.sessions.delete(s.pk)).rejects.toBeInstanceOf(StorageUnavailableError);
          expect(await store.health.isWritable()).toBe(false);
          expect(await store.health.isHealthy()).toBe(true);
        } finally {
          await clear();
        }
        expect(await store.sessions.findById('during')).toBeUndefined();
        expect(await store.sessions.findById('faulty')).toBeDefined();
        expect(await store.messages.lastSeq(s.pk)).toBe(1);
        expect(stored(await append(store, texts(s.pk, 'after'))).map((r) => r.seq)).toEqual([2]);
        expect(await store.health.isWritable()).toBe(true);
        expect(await store.health.sizeBytes()).toBeGreaterThan(0);
      }),
    );

    it(
      'stores any text byte-exact, U+0000 in bodies and client ids included, and still finds it',
      withStore(async ({ store }) => {
        const s = await session(store, 'exact');
        const bodies = ['a\u0000b nul', '\u0000', 'tab\tand\r\nnewline \u{1F600} \uFFFF end'];
        const first = stored(await append(store, bodies.map((body, i) => ({ sessionPk: s.pk, clientId: `id\u0000${i}`, body }))));
        expect(first.map((r) => [r.seq, r.clientId, r.body])).toEqual(bodies.map((body, i) => [i + 1, `id\u0000${i}`, body]));
        expect((await store.messages.after(s.pk, 0, 10)).map((m) => [m.clientId, m.body])).toEqual(bodies.map((body, i) => [`id\u0000${i}`, body]));
        const again = stored(await append(store, [{ sessionPk: s.pk, clientId: 'id\u00000', body: 'resent' }]));
        expect(again[0]).toMatchObject({ seq: 1, body: bodies[0], duplicate: true });
        const hits = (await store.search.search(s.pk, 'nul\u0000', 10, 0)).hits;
        expect(hits.map((h) => h.body)).toEqual([bodies[0]]);
        expect(hits[0]!.snippet.map((p) => p.text).join('')).toBe(bodies[0]);
      }),
    );

    it(
      'searches one session: finds, folds accents, takes the last word as a prefix, pages, and splits snippets into parts',
      withStore(async ({ store }) => {
        const s = await session(store, 'search');
        const other = await session(store, 'elsewhere');
        stored(await append(store, texts(other.pk, 'café for someone else')));
        const long = `${'filler '.repeat(30)}the CAFÉ was open ${'tail '.repeat(30)}`.trim();
        stored(await append(store, texts(s.pk, 'un café, merci', 'nothing here', long, 'cafeteria at noon', 'coffee')));

        const cafe = await store.search.search(s.pk, 'cafe', 10, 0);
        expect(cafe.hits.map((h) => h.body).sort()).toEqual([long, 'cafeteria at noon', 'un café, merci'].sort());
        expect(cafe.hasMore).toBe(false);
        for (const hit of cafe.hits) {
          const text = hit.snippet.map((p) => p.text).join('');
          expect(hit.body.includes(text)).toBe(true);
          expect(hit.snippet.filter((p) => p.match).map((p) => p.text.toLowerCase())).toEqual([expect.stringMatching(/^caf/)]);
          expect(text).not.toMatch(/[\uE000-\uF8FF]/);
        }
        const longHit = cafe.hits.find((h) => h.body === long)!;
        expect([longHit.elidedBefore, longHit.elidedAfter]).toEqual([true, true]);

        const first = await store.search.search(s.pk, 'caf', 2, 0);
        const second = await store.search.search(s.pk, 'caf', 2, 2);
        expect([first.hits.length, first.hasMore, second.hits.length, second.hasMore]).toEqual([2, true, 1, false]);
        expect(new Set([...first.hits, ...second.hits].map((h) => h.seq)).size).toBe(3);
        expect((await store.search.search(s.pk, 'café merci', 10, 0)).hits.map((h) => h.seq)).toEqual([1]);
        expect((await store.search.search(s.pk, '"*) OR (', 10, 0)).hits).toEqual([]);
      }),
    );

  });
}
