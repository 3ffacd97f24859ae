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
 * Full-text search in one session. On a database file, searches run on a
 * worker thread (search-pool.ts); an in-memory database cannot be opened by
 * another thread, so there they run here, with the same budget.
 */
export function createMessageSearch(db: Db, options: Partial<SearchOptions> = {}): MessageSearch & { close(): Promise<void> } {
  const { budgetMs, nice } = { ...defaults, ...options };
  if (!db.memory) {
    const pool = createSearchPool({ path: db.name, budgetMs, graceMs: 500, nice });
    return {
      search(sessionPk, input, limit, offset) {
        checkWords(input);
        return pool.search(sessionPk, input, limit, offset);
      },
      close: () => pool.close(),
    };
  }
  const search = createSearchQuery(db);
  return {
    async search(sessionPk, input, limit, offset) {
      checkWords(input);
      try {
        return search(sessionPk, input, limit, offset, performance.now() + budgetMs);
      } catch (err) {
        throw err instanceof SearchDeadlineError ? searchTimeout(budgetMs) : err;
      }
    },
    async close() {},
  };
}

/** Refuses, before any work, a query of more than MAX_SEARCH_WORDS different words (400 invalid_query). */
function checkWords(input: string): void {
  const query = toFtsQuery(input);
  if (query !== null && query.words > MAX_SEARCH_WORDS) {
    throw badRequest('invalid_query', `q: a search has at most ${MAX_SEARCH_WORDS} different words`);
  }
}
