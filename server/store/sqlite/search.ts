import Database from 'better-sqlite3';
import { badRequest } from '../../domain/errors.js';
import { MAX_SEARCH_WORDS, type SearchPage } from '../../domain/model.js';
import type { DomainLogger, MessageSearch } from '../../domain/ports.js';
import type { Db } from './database.js';
import { attachIndex, createIndexWriter, dropStaleIndex, isDamaged, openIndex } from './search-index.js';
import { createSearchPool, searchTimeout } from './search-pool.js';
import { createSearchQuery, SearchDeadlineError, toFtsQuery, type SearchQuery } from './search-query.js';

export { toFtsQuery, type FtsQuery } from './search-query.js';

export interface SearchOptions {
  /** A search's time budget from its arrival, in ms; past it: 503 search_timeout (search-pool.ts). */
  budgetMs: number;
  /** Nice value of the search worker thread (Linux): 10, below the event loop. */
  nice: number;
  /** How often the worker indexes what was committed since, in ms: a search first catches up anyway. */
  indexIntervalMs: number;
  logger: DomainLogger;
}

const defaults: Omit<SearchOptions, 'logger'> = { budgetMs: 2000, nice: 10, indexIntervalMs: 100 };

/**
 * Sessions of at most this many messages, and this many stored bytes
 * (messageCost, 64 a row included), are searched on the event loop: a
 * search's work is bounded by its session's own rows (the index's terms are
 * scoped, migration 8) and their text (snippets tokenize each hit's body).
 * Measured on the 400,000-message bench database, pinned: 100 messages of
 * 64-byte chat text (12.8 KB stored) took 0.26 to 0.45 ms p50 a search (1-
 * to 5-letter queries), so half of that costs about what the hop to the
 * worker thread and back does; a one-message session's search p99 over
 * HTTP was 5.6 to 7.1 ms through the worker, 4.8 ms here (`npm run bench --
 * --only stall`). The worst text under the byte bound, one message of 2,000
 * one-letter words all matching, costs about 0.6 ms (tokenizing it and
 * marking its snippet: 1.2 ms for 8 KB, warm).
 */
const INLINE_MAX = { messages: 50, bytes: 4 * 1024 };

/** Entries of search_forget removed per trim: a trim is a write on the event loop, kept short. */
const TRIM_ROWS = 2000;

/**
 * The SQLite search, and for retention (index.ts) `deletesApplied()`: resolves
 * once the deletes logged so far are in the index, new messages not waited
 * for. In memory the index is caught up by each search, on the event loop,
 * so it resolves at once.
 */
export type SqliteSearch = MessageSearch & { deletesApplied(): Promise<void>; close(): Promise<void> };

/**
 * Full-text search in one session, and the search index's upkeep
 * (search-index.ts). On a database file the index is a file of its own,
 * written by the search worker (search-pool.ts), which also searches the
 * sessions larger than INLINE_MAX; a smaller session is searched here, on
 * a read-only connection of its own, when the index already holds its
 * newest message (else the worker catches up first). On an in-memory
 * database (which another thread cannot open) the index is in the same
 * connection and catches up here before each search, with the same budget:
 * a search that ends past it is answered 503 search_timeout all the same.
 * Applied deletes are trimmed from search_forget here, the only writer of
 * the messages database.
 */
export function createMessageSearch(db: Db, options: Partial<SearchOptions> & Pick<SearchOptions, 'logger'>): SqliteSearch {
  const { budgetMs, nice, indexIntervalMs, logger } = { ...defaults, ...options };
  // A failed trim (the disk refusing writes, a lock) loses nothing: the entries stay and the next report trims them.
  const trim = createForgetTrim(db, (err) =>
    logger.warn({ err, event: 'search_forget_trim_failed' }, 'applied deletes could not be trimmed from search_forget; retried later'),
  );
  const newestId = db.prepare<[], number>('SELECT coalesce(max(id), 0) FROM messages').pluck();
  const lagBehind = (indexedUpTo: number) => Math.max(0, newestId.get()! - indexedUpTo);
  const withBudget = (run: (deadline: number) => SearchPage): Promise<SearchPage> => {
    const deadline = performance.now() + budgetMs;
    try {
      const page = run(deadline);
      if (performance.now() > deadline) throw new SearchDeadlineError('the search ran past its time budget');
      return Promise.resolve(page);
    } catch (err) {
      return Promise.reject(err instanceof SearchDeadlineError ? searchTimeout(budgetMs) : err);
    }
  };

  if (db.memory) {
    openIndex(db, ':memory:');
    const writer = createIndexWriter(db);
    const query = createSearchQuery(db);
    return {
      search(sessionPk, input, limit, offset) {
        checkWords(input);
        return withBudget((deadline) => {
          if (!writer.catchUp(Infinity, deadline).done) throw new SearchDeadlineError('the index did not catch up within the budget');
          trim(writer.progress().forgotUpTo);
          return query(sessionPk, input, limit, offset, deadline);
        });
      },
      async indexed() {
        writer.catchUp();
        trim(writer.progress().forgotUpTo);
      },
      indexLag: async () => lagBehind(writer.progress().indexedUpTo),
      deletesApplied: async () => {},
      async close() {},
    };
  }

  /** The newest id in the index as the worker last said; null until it is first ready. */
  let indexedUpTo: number | null = null;
  let reader: { db: Db; query: SearchQuery; caughtUp: Database.Statement<[number], number> } | null = null;
  const openReader = () => {
    reader?.db.close();
    reader = null;
    const conn = new Database(db.name, { readonly: true, fileMustExist: true });
    attachIndex(conn, db.name);
    // The index holds the session's newest message (one index entry for the cap of a small session), and
    // every delete logged is applied: else matches of deleted messages (a retention pass over this session,
    // 158,000 in an attack) would each be looked up and skipped here, on the event loop.
    const caughtUp = conn.prepare<[number], number>(
      `SELECT (SELECT indexed_upto FROM search.state) >= coalesce((SELECT max(id) FROM messages WHERE session_pk = ?), 0)
          AND (SELECT forgot_upto FROM search.state) >= coalesce((SELECT max(seq) FROM search_forget), 0)`,
    ).pluck();
    reader = { db: conn, query: createSearchQuery(conn), caughtUp };
  };
  dropStaleIndex(db, db.name);
  const pool = createSearchPool({
    path: db.name,
    budgetMs,
    graceMs: 500,
    nice,
    indexIntervalMs,
    restartDelayMs: 1000,
    onReady(rebuilt, progress) {
      indexedUpTo = progress.indexedUpTo;
      if (rebuilt) logger.info({ event: 'search_index_rebuild' }, 'the search index is rebuilt from the messages (new, restored, damaged, or of another version)');
      if (!rebuilt && reader) return;
      try {
        openReader();
      } catch (err) {
        // Every search goes to the worker until the next ready (out of file handles, say).
        reader = null;
        logger.warn({ err, event: 'search_reader_failed' }, 'the event loop\'s search connection could not be opened');
      }
    },
    onProgress(progress) {
      indexedUpTo = progress.indexedUpTo;
      trim(progress.forgotUpTo);
    },
    onError: (err, what) =>
      what === 'worker'
        ? logger.error({ err, event: 'search_worker_error' }, 'the search worker failed; it is started again')
        : logger.error({ err, event: 'search_index_error' }, 'indexing failed; retried later (a damaged index is rebuilt)'),
  });
  // At most INLINE_MAX.messages + 1 index entries and one session row read: microseconds, whatever the session's size.
  const size = db.prepare<{ pk: number; cap: number }, { rows: number; bytes: number | null }>(
    `SELECT (SELECT count(*) FROM (SELECT 1 FROM messages WHERE session_pk = @pk LIMIT @cap)) AS rows,
            (SELECT stored_bytes FROM sessions WHERE pk = @pk) AS bytes`,
  );
  const inline = (sessionPk: number): typeof reader => {
    const { rows, bytes } = size.get({ pk: sessionPk, cap: INLINE_MAX.messages + 1 })!;
    if (rows > INLINE_MAX.messages || (bytes ?? 0) > INLINE_MAX.bytes) return null;
    return reader && reader.caughtUp.get(sessionPk) === 1 ? reader : null;
  };
  return {
    search(sessionPk, input, limit, offset) {
      checkWords(input);
      const here = inline(sessionPk);
      if (!here) return pool.search(sessionPk, input, limit, offset);
      return withBudget((deadline) => here.query(sessionPk, input, limit, offset, deadline)).catch((err: unknown) => {
        if (!isDamaged(err)) throw err;
        reader = null; // the worker finds the damage too, rebuilds, and says so (onReady)
        return pool.search(sessionPk, input, limit, offset);
      });
    },
    indexed: () => pool.indexed(),
    indexLag: async () => (indexedUpTo === null ? null : lagBehind(indexedUpTo)),
    deletesApplied: () => pool.deletesApplied(),
    async close() {
      // The pool first lets go of the worker (no reader is opened after this), then the reader closes, so the
      // worker's connection, the index's writer, is the last one on the index: it folds the index's WAL in and removes it.
      const stopped = pool.close();
      reader?.db.close();
      reader = null;
      await stopped;
    },
  };
}

/**
 * Removes applied entries (up to the index's forgot_upto) from search_forget,
 * TRIM_ROWS a transaction, one transaction a turn of the event loop until
 * caught up, keeping the highest message id they held in
 * search_meta.id_floor, below which no new message id goes (message-log.ts).
 */
function createForgetTrim(db: Db, onError: (err: Error) => void) {
  const raiseFloor = db.prepare<[number, number]>(
    'UPDATE search_meta SET id_floor = max(id_floor, coalesce((SELECT max(id) FROM search_forget WHERE seq > ? AND seq <= ?), 0))',
  );
  const remove = db.prepare<[number, number]>('DELETE FROM search_forget WHERE seq > ? AND seq <= ?');
  const trimTo = db.transaction((from: number, to: number) => {
    raiseFloor.run(from, to);
    remove.run(from, to);
  });
  // Every entry up to this seq is gone already.
  let trimmedUpTo = db
    .prepare<[], number>(
      "SELECT coalesce((SELECT min(seq) - 1 FROM search_forget), (SELECT seq FROM sqlite_sequence WHERE name = 'search_forget'), 0)",
    )
    .pluck()
    .get()!;
  let target = trimmedUpTo;
  let scheduled = false;
  const step = () => {
    scheduled = false;
    if (target <= trimmedUpTo || !db.open) return;
    const to = Math.min(target, trimmedUpTo + TRIM_ROWS);
    try {
      trimTo.immediate(trimmedUpTo, to);
      trimmedUpTo = to;
    } catch (err) {
      return onError(err as Error); // the next report tries again
    }
    if (target > trimmedUpTo) {
      scheduled = true;
      setImmediate(step);
    }
  };
  return (forgotUpTo: number): void => {
    target = Math.max(target, forgotUpTo);
    if (!scheduled) step();
  };
}

/** Refuses, before any work, a query of more than MAX_SEARCH_WORDS different words (400 invalid_query). */
function checkWords(input: string): void {
  const query = toFtsQuery(input);
  if (query !== null && query.words > MAX_SEARCH_WORDS) {
    throw badRequest('invalid_query', `q: a search has at most ${MAX_SEARCH_WORDS} different words`);
  }
}
