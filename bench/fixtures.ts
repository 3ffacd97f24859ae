/**
 * Cached databases for the history, start-up and stall targets, written through the
 * server's own SQLite store, synchronously (same schema, keys and indexes as production). Each is
 * built under a temporary name and renamed when complete, so an interrupted
 * build is never mistaken for a cache hit.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Db } from '../server/store/sqlite/database.js';
import { createIndexWriter, indexPath, openIndex, removeIndexFiles } from '../server/store/sqlite/search-index.js';
import { createMessageLog, type SqliteMessageLog } from '../server/store/sqlite/message-log.js';
import { MIGRATIONS } from '../server/store/sqlite/migrations.js';
import { createSessionTable, type SessionTable } from '../server/store/sqlite/sessions.js';
import { generateToken, hashToken } from '../server/domain/token.js';
import { chatText, ONE_MESSAGE, prng } from './chat-text.js';
import { freeBytes } from './lib/proc.js';
import { progress } from './report.js';

export interface Fixture {
  path: string;
  bytes: number;
  messages: number;
  /** The fixture's sessions with their tokens, and how many messages each holds where that matters. */
  sessions: { id: string; token: string; messages?: number }[];
  buildSeconds: number;
  cached: boolean;
}

/**
 * Bump when the way a fixture is built changes, so old caches are rebuilt.
 * The schema version is part of the name too: a fixture is always at the
 * server's schema, so starting the server on it never runs a migration.
 */
const FIXTURE_VERSION = 2; // 2: with its search index file (search-index.ts)

/** The SQLite store's own tables, used synchronously (its append settles at once). */
interface Store {
  db: Db;
  sessions: SessionTable;
  messages: SqliteMessageLog;
}

function cached(dir: string, name: string, build: (store: Store) => Omit<Fixture, 'path' | 'bytes' | 'buildSeconds' | 'cached'>): Fixture {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.v${FIXTURE_VERSION}.schema${MIGRATIONS.length}.db`);
  const metaPath = `${path}.json`;
  if (existsSync(path) && existsSync(metaPath)) {
    return { ...(JSON.parse(readFileSync(metaPath, 'utf8')) as Fixture), path, cached: true };
  }
  // Builds for an older schema or builder are of no more use: free their space first.
  for (const file of readdirSync(dir)) {
    if (file.startsWith(`${name}.v`) && !file.startsWith(`${name}.v${FIXTURE_VERSION}.schema${MIGRATIONS.length}.db`)) {
      rmSync(join(dir, file), { force: true });
    }
  }
  const tmp = `${path}.building`;
  for (const suffix of ['', '-wal', '-shm']) rmSync(tmp + suffix, { force: true });
  const started = performance.now();
  const db = openDatabase(tmp, { synchronous: 'normal' });
  let built;
  try {
    built = build({ db, sessions: createSessionTable(db), messages: createMessageLog(db) });
    db.pragma('wal_checkpoint(TRUNCATE)');
    // The search index as the server's worker builds it (search-index.ts), so a run on a copy starts caught up.
    openIndex(db, tmp);
    createIndexWriter(db).catchUp();
    db.pragma('search.wal_checkpoint(TRUNCATE)');
    db.exec('DETACH search');
  } finally {
    db.close();
  }
  renameSync(tmp, path);
  renameSync(indexPath(tmp), indexPath(path));
  for (const suffix of ['-wal', '-shm']) rmSync(tmp + suffix, { force: true });
  removeIndexFiles(tmp);
  const fixture: Fixture = { ...built, path, bytes: statSync(path).size, buildSeconds: Math.round((performance.now() - started) / 100) / 10, cached: false };
  writeFileSync(metaPath, JSON.stringify(fixture, null, 2));
  return fixture;
}

function session(store: Store, id: string): { id: string; token: string; pk: number } {
  const token = generateToken();
  const record = store.sessions.create(id, hashToken(token), Date.now());
  if (!record) throw new Error(`fixture session ${id} exists`);
  return { id, token, pk: record.pk };
}

/** One session holding `count` messages of 64 bytes (the history target). */
export function historyFixture(dir: string, count: number): Fixture {
  return cached(dir, `history-${count}`, (store) => {
    progress(`building the history fixture: ${count.toLocaleString('en-US')} messages in one session (cached for later runs)`);
    const s = session(store, 'history');
    const BATCH = 10_000;
    for (let done = 0; done < count; ) {
      const n = Math.min(BATCH, count - done);
      store.messages.append(
        Array.from({ length: n }, (_, i) => ({ sessionPk: s.pk, clientId: null, body: `message ${done + i + 1} `.padEnd(64, '.') })),
      );
      done += n;
      if (done % 200_000 === 0) progress(`  ${done.toLocaleString('en-US')} messages`);
    }
    return { messages: count, sessions: [{ id: s.id, token: s.token }] };
  });
}

/** Body size that keeps one message in one 4 KiB page (no overflow pages). */
const BIG_BODY = 3900;

/** About `mib` MiB of 3.9 KB messages over 100 sessions (the start-up target). */
export function startupFixture(dir: string, mib: number): Fixture {
  const want = mib * 1024 * 1024;
  const free = freeBytes(dir);
  if (free < want * 2.5) throw new Error(`start-up fixture needs ${Math.round((want * 2.5) / 2 ** 20)} MiB free in ${dir}, ${Math.round(free / 2 ** 20)} MiB are`);
  return cached(dir, `startup-${mib}MiB`, (store) => {
    progress(`building the start-up fixture: ${mib} MiB of 3.9 KB messages over 100 sessions (cached for later runs)`);
    const sessions = Array.from({ length: 100 }, (_, i) => session(store, `big-${i}`));
    const base = 'x'.repeat(BIG_BODY);
    const BATCH = 2000;
    let messages = 0;
    let nextReport = 128;
    const size = () => statSync(store.db.name).size + (existsSync(`${store.db.name}-wal`) ? statSync(`${store.db.name}-wal`).size : 0);
    while (messages * 4096 < want) {
      store.messages.append(
        Array.from({ length: BATCH }, (_, i) => ({ sessionPk: sessions[(messages + i) % sessions.length]!.pk, clientId: null, body: `${messages + i} ${base}`.slice(0, BIG_BODY) })),
      );
      messages += BATCH;
      if ((messages * 4096) / 2 ** 20 >= nextReport) {
        progress(`  ${Math.round(size() / 2 ** 20)} MiB written`);
        nextReport += 128;
      }
    }
    return { messages, sessions: sessions.map(({ id, token }) => ({ id, token })) };
  });
}

/** Messages in each of the stall fixture's small sessions (smaller when the whole is small). */
const stallSessionSize = (count: number) => (count >= 100_000 ? 1000 : 100);

/**
 * `count` chat-like messages of up to 64 bytes (chat-text.ts) over many
 * sessions, interleaved in the log as live traffic leaves them: a quarter in
 * one big session ("stall-big", first), the rest in sessions of 1,000
 * ("stall-s<n>", 100 when `count` is small); then "stall-one", a session of
 * one message, created last. The stall target's database.
 */
export function stallFixture(dir: string, count: number): Fixture {
  return cached(dir, `stall-${count}`, (store) => {
    progress(`building the stall fixture: ${count.toLocaleString('en-US')} messages over many sessions (cached for later runs)`);
    const size = stallSessionSize(count);
    const smallCount = Math.floor((count * 0.75) / size);
    const counts = [count - smallCount * size, ...Array.from({ length: smallCount }, () => size)];
    const sessions = counts.map((n, i) => ({ ...session(store, i === 0 ? 'stall-big' : `stall-s${i - 1}`), messages: n }));
    // One slot per message, shuffled: the sessions' messages interleave in the log.
    const next = prng(13);
    const owners = new Uint16Array(count);
    for (let i = 0, at = 0; i < counts.length; at += counts[i]!, i++) owners.fill(i, at, at + counts[i]!);
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [owners[i], owners[j]] = [owners[j]!, owners[i]!];
    }
    const BATCH = 10_000;
    for (let done = 0; done < count; done += BATCH) {
      const slice = owners.subarray(done, Math.min(count, done + BATCH));
      store.messages.append(Array.from(slice, (owner) => ({ sessionPk: sessions[owner]!.pk, clientId: null, body: chatText(next) })));
      if ((done + BATCH) % 100_000 === 0) progress(`  ${(done + BATCH).toLocaleString('en-US')} messages`);
    }
    const one = session(store, 'stall-one');
    store.messages.append([{ sessionPk: one.pk, clientId: null, body: ONE_MESSAGE }]);
    const all = [...sessions, { ...one, messages: 1 }];
    return { messages: count + 1, sessions: all.map(({ id, token, messages }) => ({ id, token, messages })) };
  });
}
