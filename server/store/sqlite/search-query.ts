import type { SearchPage } from '../../domain/model.js';
import type { Db } from './database.js';
import { tokenize } from './fts-unicode61.js';
import { scopeOf } from './search-terms.js';
import { buildSnippet, termMatcher } from '../snippet.js';

/** A typed search split into the index's words: the FTS5 query, the folded terms it matches, and its number of conditions. */
export interface FtsQuery {
  fts: string;
  terms: string[];
  words: number;
}

/**
 * Turns what a person typed into an FTS5 query that cannot be a syntax
 * error: every word becomes a quoted token (all must match), the last one a
 * prefix, so results appear while typing. Words are the index tokenizer's
 * own tokens (fts-unicode61.ts, derived from SQLite), so each quoted string
 * is exactly one token: the index keeps no positions (detail=column) and
 * would refuse a multi-token phrase. With `sessionPk`, each word is scoped
 * to that session as the index's terms are (search-terms.ts). Returns null
 * when no word is left.
 */
export function toFtsQuery(input: string, sessionPk?: number): FtsQuery | null {
  const tokens = tokenize(input);
  if (tokens.length === 0) return null;
  const scope = sessionPk === undefined ? '' : scopeOf(sessionPk);
  // A token holds only token characters and diacritics, never a quote: quoting needs no escaping.
  // A word said twice (or with other accents or case: the same term) is one condition: `a a A á` costs what `a` does.
  const words = new Map<string, string>();
  tokens.forEach(({ start, end, term }, i) => {
    const prefix = i === tokens.length - 1 ? '*' : '';
    if (!words.has(term + prefix)) words.set(term + prefix, `"${scope}${input.slice(start, end)}"${prefix}`);
  });
  return { fts: [...words.values()].join(' '), terms: tokens.map((t) => t.term), words: words.size };
}

/** A search ran past its deadline and was stopped; nothing of it is answered. */
export class SearchDeadlineError extends Error {
  override readonly name = 'SearchDeadlineError';
}

interface HitRow {
  seq: number;
  client_id: string | null;
  body: string;
  at: number;
}

/** How many matches are ranked between two looks at the clock. */
const CLOCK_EVERY = 128;

/**
 * The search itself, over a connection of the messages database with the
 * index attached as `search` (search-index.ts: the worker's, the event
 * loop's reader, or the store's own for an in-memory database):
 * `search(..., deadline)` with the deadline in performance.now() ms of the
 * calling thread. Matches are read one row at a time, each with its bm25
 * score, and ranked here rather than by ORDER BY, so the clock is looked at
 * while they are read and a search past its deadline stops there
 * (SearchDeadlineError): SQLite in better-sqlite3 has no progress handler
 * to interrupt a sort. The work is bounded by the session's own matches,
 * since the terms are scoped (migration 8). A match whose message is gone
 * (deleted, its delete not yet applied to the index) is skipped, so results
 * never depend on how far behind the index's deletes are.
 */
export function createSearchQuery(db: Db) {
  const matches = db.prepare<[string], [number, number]>('SELECT rowid, bm25(fts) FROM search.fts WHERE fts MATCH ?').raw();
  // A deleted session's rows wait for the purge (retention.ts) but are never found again.
  const exists = db.prepare<[number], number>('SELECT 1 FROM sessions WHERE pk = ?').pluck();
  const row = db.prepare<[number, number], HitRow>('SELECT seq, client_id, body, at FROM messages WHERE id = ? AND session_pk = ?');

  /** Best matches first (bm25), then newest; `hasMore` says whether another page exists. One read transaction: one snapshot. */
  return db.transaction((sessionPk: number, input: string, limit: number, offset: number, deadline: number): SearchPage => {
    const query = toFtsQuery(input, sessionPk);
    if (query === null || exists.get(sessionPk) === undefined) return { hits: [], hasMore: false };
    const ids: number[] = [];
    const scores: number[] = [];
    for (const [id, score] of matches.iterate(query.fts)) {
      ids.push(id);
      scores.push(score);
      if (ids.length % CLOCK_EVERY === 0 && performance.now() > deadline) throw new SearchDeadlineError('the search ran past its time budget');
    }
    // bm25 is lower for better matches; ties: the newest (highest id) first.
    const order = ids.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]! || ids[b]! - ids[a]!);
    const found: HitRow[] = [];
    let skipped = 0;
    for (const [n, i] of order.entries()) {
      if (n % CLOCK_EVERY === CLOCK_EVERY - 1 && performance.now() > deadline) throw new SearchDeadlineError('the search ran past its time budget');
      const r = row.get(ids[i]!, sessionPk);
      if (r === undefined) continue;
      if (skipped < offset) skipped++;
      else if (found.push(r) > limit) break;
    }
    const hasMore = found.length > limit;
    if (hasMore) found.pop();
    const matcher = termMatcher(query.terms);
    return {
      hits: found.map((r) => {
        const { parts, elidedBefore, elidedAfter } = buildSnippet(r.body, tokenize(r.body), matcher);
        return { seq: r.seq, clientId: r.client_id, body: r.body, at: r.at, snippet: parts, elidedBefore, elidedAfter };
      }),
      hasMore,
    };
  });
}

export type SearchQuery = ReturnType<typeof createSearchQuery>;
