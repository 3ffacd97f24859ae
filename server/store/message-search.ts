import type { Db } from './database.js';
import type { StoredMessage } from './message-log.js';

/** Marks around a match inside a snippet; private-use characters, so they never clash with markup. */
export const MATCH_START = '\uE000';
export const MATCH_END = '\uE001';

export interface SearchHit extends StoredMessage {
  /** An excerpt with each match between MATCH_START and MATCH_END. */
  snippet: string;
}

interface HitRow {
  seq: number;
  client_id: string | null;
  body: string;
  at: number;
  snippet: string;
}

/**
 * Turns what a person typed into an FTS5 query that cannot be a syntax
 * error: every word becomes a quoted token (all must match), the last one a
 * prefix, so results appear while typing. Words split where the unicode61
 * tokenizer splits (anything but letters and digits), so each quoted string
 * is one token: the index keeps no positions (detail=column), so it takes no
 * multi-token phrases. Returns null when nothing is left.
 */
export function toFtsQuery(input: string): string | null {
  const words = input.match(/[\p{L}\p{N}]+/gu);
  if (!words) return null;
  return words.map((word, i) => `"${word}"${i === words.length - 1 ? '*' : ''}`).join(' ');
}

export type MessageSearch = ReturnType<typeof createMessageSearch>;

export function createMessageSearch(db: Db) {
  // The sid column holds "s<session_pk>": matching it keeps a search inside one session.
  const search = db.prepare<[string, number, number], HitRow>(
    `SELECT m.seq, m.client_id, m.body, m.at,
            snippet(messages_fts, 1, '${MATCH_START}', '${MATCH_END}', '…', 16) AS snippet
       FROM messages_fts
       JOIN messages m ON m.id = messages_fts.rowid
      WHERE messages_fts MATCH ?
      ORDER BY bm25(messages_fts, 0.0, 1.0), m.id DESC
      LIMIT ? OFFSET ?`,
  );

  return {
    /** Best matches first (bm25), then newest; `hasMore` says whether another page exists. */
    search(sessionPk: number, input: string, limit: number, offset: number): { hits: SearchHit[]; hasMore: boolean } {
      const query = toFtsQuery(input);
      if (query === null) return { hits: [], hasMore: false };
      const rows = search.all(`sid : "s${sessionPk}" AND body : (${query})`, limit + 1, offset);
      const hasMore = rows.length > limit;
      if (hasMore) rows.pop();
      return {
        hits: rows.map((r) => ({ seq: r.seq, clientId: r.client_id, body: r.body, at: r.at, snippet: r.snippet })),
        hasMore,
      };
    },
  };
}
