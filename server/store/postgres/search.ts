import { badRequest } from '../../domain/errors.js';
import { MAX_SEARCH_WORDS, type SearchPage } from '../../domain/model.js';
import type { MessageSearch } from '../../domain/ports.js';
import { buildSnippet, termMatcher, type Token } from '../snippet.js';
import type { Pool } from './database.js';
import { MESSAGE_COLUMNS, toStored, type MessageRow } from './message-log.js';
import { withoutNul } from './nul.js';

/** A token as ts_debug reports it: its type (alias), its text, and the lexemes the configuration makes of it. */
type DebugToken = [alias: string, token: string, lexemes: string[] | null];

/**
 * The tokens of `text` (an SQL expression) as a JSON array of DebugToken.
 * ts_debug gives each token only its first dictionary's output, so a
 * filtering dictionary's (unaccent's) result would skip simple's lower-casing
 * ("ÉTÉ" -> "ETE"); each token's lexemes are therefore to_tsvector's own,
 * exactly what the index holds.
 */
const tokensOf = (text: string) =>
  `(SELECT json_agg(json_build_array(d.alias, d.token,
            CASE WHEN d.lexemes IS NULL THEN NULL ELSE tsvector_to_array(to_tsvector('session_search', d.token)) END))
      FROM ts_debug('session_search', ${text}) d)`;

/** The one lexeme of a word (the longest, should re-parsing the lone token ever give several). */
const lexemeOf = (lexemes: readonly string[]): string => lexemes.reduce((a, b) => (b.length > a.length ? b : a));

/**
 * Token types the default parser reports twice: a compound (a hyphenated
 * word, a URL) and then each of its parts. Queries and snippets use the
 * parts, which the index holds too, so a query never needs the whole
 * compound and the tokens of a text tile it.
 */
const COMPOUNDS = new Set(['asciihword', 'hword', 'numhword', 'url']);

/** The query's words: the lexemes of the typed text, compounds left out (their parts remain). */
function queryTerms(tokens: readonly DebugToken[]): string[] {
  return tokens.filter(([alias, , lexemes]) => !COMPOUNDS.has(alias) && lexemes && lexemes.length > 0).map(([, , lexemes]) => lexemeOf(lexemes!));
}

/**
 * A tsquery in the type's own input syntax (taken verbatim, never parsed
 * again): every term quoted (a quote doubled, a backslash escaped), all
 * required, the last a prefix so results appear while typing.
 */
export function toTsQuery(terms: readonly string[]): string {
  return terms.map((t, i) => `'${t.replace(/\\/g, '\\\\').replace(/'/g, "''")}'${i === terms.length - 1 ? ':*' : ''}`).join(' & ');
}

/** The body's words with their offsets, from ts_debug's tokens (in order; compounds skipped, their parts kept). */
function bodyTokens(body: string, tokens: readonly DebugToken[]): Token[] {
  const words: Token[] = [];
  let at = 0;
  for (const [alias, text, lexemes] of tokens) {
    if (COMPOUNDS.has(alias)) continue;
    const start = body.startsWith(text, at) ? at : body.indexOf(text, at);
    if (start < 0) continue;
    at = start + text.length;
    if (lexemes && lexemes.length > 0) words.push({ start, end: at, term: lexemeOf(lexemes) });
  }
  return words;
}

/**
 * Full-text search on PostgreSQL: the `session_search` configuration
 * (migrations.ts: the default parser, then unaccent, then simple), a GIN
 * index on (session_pk, tsv), ranked by ts_rank within the session, newest
 * first among equals. Any text is a valid query: it is split into words by
 * the same configuration (ts_debug), never parsed as tsquery syntax.
 * Snippets are cut by the adapter from ts_debug's tokens of the body, so no
 * marker character is ever put into (or mistaken in) a body.
 */
export function createMessageSearch(pool: Pool): MessageSearch {
  return {
    // The tsvector is written by the append's own statement: indexed once committed.
    async indexed() {},
    async indexLag() {
      return 0;
    },
    async search(sessionPk, input, limit, offset): Promise<SearchPage> {
      const { rows: parsed } = await pool.query<{ t: DebugToken[] | null }>(`SELECT ${tokensOf('$1')} AS t`, [withoutNul(input)]);
      const terms = queryTerms(parsed[0]?.t ?? []);
      if (terms.length === 0) return { hits: [], hasMore: false };
      // The last word is a prefix: the same word earlier is another condition, as in the SQLite adapter.
      const words = new Set(terms.map((t, i) => (i === terms.length - 1 ? `${t}*` : t))).size;
      if (words > MAX_SEARCH_WORDS) throw badRequest('invalid_query', `q: a search has at most ${MAX_SEARCH_WORDS} different words`);
      const { rows } = await pool.query<MessageRow & { tokens: DebugToken[] | null }>(
        `SELECT m.seq, m.client_id, m.body, m.nul_at, m.at,
                ${tokensOf('m.body')} AS tokens
           FROM (SELECT ${MESSAGE_COLUMNS}, ts_rank(tsv, q) AS rank
                   FROM messages, (SELECT $2::tsquery AS q) AS query
                  WHERE session_pk = $1 AND tsv @@ q AND EXISTS (SELECT 1 FROM sessions WHERE pk = $1)
                  ORDER BY rank DESC, seq DESC LIMIT $3 OFFSET $4) m
          ORDER BY m.rank DESC, m.seq DESC`,
        [sessionPk, toTsQuery(terms), limit + 1, offset],
      );
      const hasMore = rows.length > limit;
      if (hasMore) rows.pop();
      const matches = termMatcher(terms);
      return {
        hits: rows.map((r) => {
          // Offsets from the stored text hold for the body: a NUL is stored as one space (nul.ts).
          const message = toStored(r);
          const { parts, elidedBefore, elidedAfter } = buildSnippet(message.body, bodyTokens(r.body, r.tokens ?? []), matches);
          return { ...message, snippet: parts, elidedBefore, elidedAfter };
        }),
        hasMore,
      };
    },
  };
}
