import { tokenize } from './fts-unicode61.js';

/**
 * The search index's terms are scoped to their session (migration 8): each
 * word of a body is indexed as `<session_pk>x<word>`, so a query, exact or
 * prefix, only ever reads the terms of its own session. The key is digits
 * and `x` is not one, so no session's terms are a prefix of another's
 * ("1xa" never matches "12xa..."). Words are the tokenizer's own slices of
 * the text (fts-unicode61.ts), unfolded: SQLite folds `12xCafé` exactly as it
 * folds `Café`, with the key in front, so index and query fold alike.
 */
export const scopeOf = (sessionPk: number): string => `${sessionPk}x`;

/** session_terms(session_pk, body): the text the index takes for a message, its words scoped; SQL function. */
export function sessionTerms(sessionPk: number, body: string): string {
  const scope = scopeOf(sessionPk);
  let terms = '';
  for (const { start, end } of tokenize(body)) terms += `${terms === '' ? '' : ' '}${scope}${body.slice(start, end)}`;
  return terms;
}
