import { badRequest } from '../../domain/errors.js';
import { MAX_SEARCH_WORDS, type SearchPage } from '../../domain/model.js';
import type { MessageSearch } from '../../domain/ports.js';
import type { Db } from './database.js';
import { tokenize } from './fts-unicode61.js';
import { buildSnippet, termMatcher } from './snippet.js';

interface HitRow {
  seq: number;
  client_id: string | null;
  body: string;
  at: number;
}

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
 * would refuse a multi-token phrase. Returns null when no word is left.
 */
export function toFtsQuery(input: string): FtsQuery | null {
  const tokens = tokenize(input);
  if (tokens.length === 0) return null;
  // A token holds only token characters and diacritics, never a quote: quoting needs no escaping.
  // A word said twice (or with other accents or case: the same term) is one condition: `a a A á` costs what `a` does.
  const words = new Map<string, string>();
  tokens.forEach(({ start, end, term }, i) => {
    const prefix = i === tokens.length - 1 ? '*' : '';
    if (!words.has(term + prefix)) words.set(term + prefix, `"${input.slice(start, end)}"${prefix}`);
  });
  return { fts: [...words.values()].join(' '), terms: tokens.map((t) => t.term), words: words.size };
}

export function createMessageSearch(db: Db): MessageSearch {
  // The sid column holds "s<session_pk>": matching it keeps a search inside one session. A
  // deleted session's rows wait for the purge (retention.ts) but are never found again.
  const search = db.prepare<{ match: string; pk: number; limit: number; offset: number }, HitRow>(
    `SELECT m.seq, m.client_id, m.body, m.at
       FROM messages_fts
       JOIN messages m ON m.id = messages_fts.rowid
      WHERE messages_fts MATCH @match AND EXISTS (SELECT 1 FROM sessions WHERE pk = @pk)
      ORDER BY bm25(messages_fts, 0.0, 1.0), m.id DESC
      LIMIT @limit OFFSET @offset`,
  );

  return {
    /** Best matches first (bm25), then newest; `hasMore` says whether another page exists. */
    async search(sessionPk: number, input: string, limit: number, offset: number): Promise<SearchPage> {
      const query = toFtsQuery(input);
      if (query === null) return { hits: [], hasMore: false };
      // Each word is a posting list read and intersected: their number is the cost a client chooses.
      if (query.words > MAX_SEARCH_WORDS) {
        throw badRequest('invalid_query', `q: a search has at most ${MAX_SEARCH_WORDS} different words`);
      }
      const rows = search.all({ match: `sid : "s${sessionPk}" AND body : (${query.fts})`, pk: sessionPk, limit: limit + 1, offset });
      const hasMore = rows.length > limit;
      if (hasMore) rows.pop();
      const matches = termMatcher(query.terms);
      return {
        hits: rows.map((r) => {
          const { parts, elidedBefore, elidedAfter } = buildSnippet(r.body, tokenize(r.body), matches, query.terms.length);
          return { seq: r.seq, clientId: r.client_id, body: r.body, at: r.at, snippet: parts, elidedBefore, elidedAfter };
        }),
        hasMore,
      };
    },
  };
}
