import { badRequest } from '../../domain/errors.js';
import { MAX_SEARCH_WORDS } from '../../domain/model.js';
import type { MessageSearch } from '../../domain/ports.js';
import type { Db } from './database.js';
import { createSearchPool, searchTimeout } from './search-pool.js';
import { createSearchQuery, SearchDeadlineError, toFtsQuery } from './search-query.js';

export { toFtsQuery, type FtsQuery } from './search-query.js';

export interface SearchOptions {
  /** A search's time budget from its arrival, in ms; past it: 503 search_timeout (search-pool.ts). */
  budgetMs: number;
  /** Nice value of the search worker thread (Linux): 10, below the event loop. */
  nice: number;
}

const defaults: SearchOptions = { budgetMs: 2000, nice: 10 };

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

/**
 * Full-text search in one session. On a database file, a session larger
 * than INLINE_MAX is searched on a worker thread (search-pool.ts); a
 * smaller one, and any on an in-memory database (which another thread
 * cannot open), here, with the same budget: a search that ends past it is
 * answered 503 search_timeout all the same.
 */
export function createMessageSearch(db: Db, options: Partial<SearchOptions> = {}): MessageSearch & { close(): Promise<void> } {
  const { budgetMs, nice } = { ...defaults, ...options };
  const query = createSearchQuery(db);
  const inline: MessageSearch['search'] = async (sessionPk, input, limit, offset) => {
    const deadline = performance.now() + budgetMs;
    try {
      const page = query(sessionPk, input, limit, offset, deadline);
      if (performance.now() > deadline) throw new SearchDeadlineError('the search ran past its time budget');
      return page;
    } catch (err) {
      throw err instanceof SearchDeadlineError ? searchTimeout(budgetMs) : err;
    }
  };
  if (db.memory) {
    return {
      search(sessionPk, input, limit, offset) {
        checkWords(input);
        return inline(sessionPk, input, limit, offset);
      },
      async close() {},
    };
  }
  const pool = createSearchPool({ path: db.name, budgetMs, graceMs: 500, nice });
  // At most INLINE_MAX.messages + 1 index entries and one session row read: microseconds, whatever the session's size.
  const size = db.prepare<{ pk: number; cap: number }, { rows: number; bytes: number | null }>(
    `SELECT (SELECT count(*) FROM (SELECT 1 FROM messages WHERE session_pk = @pk LIMIT @cap)) AS rows,
            (SELECT stored_bytes FROM sessions WHERE pk = @pk) AS bytes`,
  );
  const small = (sessionPk: number): boolean => {
    const { rows, bytes } = size.get({ pk: sessionPk, cap: INLINE_MAX.messages + 1 })!;
    return rows <= INLINE_MAX.messages && (bytes ?? 0) <= INLINE_MAX.bytes;
  };
  return {
    search(sessionPk, input, limit, offset) {
      checkWords(input);
      return small(sessionPk) ? inline(sessionPk, input, limit, offset) : pool.search(sessionPk, input, limit, offset);
    },
    close: () => pool.close(),
  };
}

/** Refuses, before any work, a query of more than MAX_SEARCH_WORDS different words (400 invalid_query). */
function checkWords(input: string): void {
  const query = toFtsQuery(input);
  if (query !== null && query.words > MAX_SEARCH_WORDS) {
    throw badRequest('invalid_query', `q: a search has at most ${MAX_SEARCH_WORDS} different words`);
  }
}
