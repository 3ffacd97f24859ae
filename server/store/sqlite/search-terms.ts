import { prefixTokens } from './fts-unicode61.js';

/**
 * The search index's terms are scoped to their session (migration 8): each
 * word of a body is indexed as `<session_pk>x<word>`, so a query, exact or
 * prefix, only ever reads the terms of its own session. The key is digits
 * and `x` is not one, so no session's terms are a prefix of another's
 * ("1xa" never matches "12xa..."). SQLite folds `12xCafé` exactly as it
 * folds `Café`, with the key in front, so index and query fold alike.
 */
export const scopeOf = (sessionPk: number): string => `${sessionPk}x`;

/**
 * session_terms(session_pk, body): the text the index takes for a message,
 * the body with the session's key in front of each word; SQL function, called
 * for every message committed (the index's content view) and deleted.
 */
export function sessionTerms(sessionPk: number, body: string): string {
  return prefixTokens(body, scopeOf(sessionPk));
}
