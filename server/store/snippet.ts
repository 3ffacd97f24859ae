import type { SnippetPart } from '../../protocol/wire.js';

/** A word of a text as the engine's search index split it: [start, end) in UTF-16 code units, and the term indexed. */
export interface Token {
  start: number;
  end: number;
  term: string;
}

/** Most tokens a snippet shows: the size the FTS5 snippet() call this replaces was given. */
const SNIPPET_TOKENS = 16;

export interface Snippet {
  /** A contiguous slice of the body, cut into plain and matching parts; joined, exactly that slice. */
  parts: SnippetPart[];
  /** Text of the body is left out before / after the parts (a client shows an ellipsis). */
  elidedBefore: boolean;
  elidedAfter: boolean;
}

/** Which query words a term matches (their indexes; empty: not a match), and how many words there are. */
export interface TermMatcher {
  (term: string): number[];
  readonly words: number;
}

/**
 * Which query words a term matches, as the FTS5 query built from them does:
 * every word by its whole term, the last one as a prefix. A repeated word is
 * one condition (the last, a prefix, stays apart: `a a` is `a` and `a*`):
 * with every repeat a condition, a query of 100 `a`s tested 100 conditions a
 * token and took 160 to 320 ms of snippets for one 8 KB message (found by an
 * attacker; repeats count as one word against MAX_SEARCH_WORDS, so at most 16
 * distinct words, 17 conditions, are left).
 */
export function termMatcher(queryTerms: readonly string[]): TermMatcher {
  const terms = queryTerms.length === 0 ? [] : [...new Set(queryTerms.slice(0, -1)), queryTerms[queryTerms.length - 1]!];
  const last = terms.length - 1;
  const none: number[] = [];
  const match = (term: string): number[] => {
    let matched = none;
    for (let i = 0; i <= last; i++) {
      if (i === last ? term.startsWith(terms[i]!) : term === terms[i]) matched = matched === none ? [i] : [...matched, i];
    }
    return matched;
  };
  return Object.assign(match, { words: terms.length });
}

/**
 * The excerpt of `text` shown for a hit: the window of at most `maxTokens`
 * tokens that holds the most distinct query words, then the most matches
 * (the earliest such window), moved so its matches sit in the middle. Offsets
 * come from the tokenizer, not from markers in the text, so any character of
 * the body (even the private-use characters FTS5's snippet() markers would
 * be) comes back as it is stored, and only real matches are marked.
 */
export function buildSnippet(
  text: string,
  tokens: readonly Token[],
  matches: TermMatcher,
  maxTokens = SNIPPET_TOKENS,
): Snippet {
  const hits: Hit[] = [];
  tokens.forEach((token, index) => {
    const words = matches(token.term);
    if (words.length > 0) hits.push({ index, words });
  });
  const size = Math.min(maxTokens, tokens.length);
  const first = windowStart(hits, size, tokens.length, matches.words);
  const last = first + size - 1;
  const from = first === 0 ? 0 : tokens[first]!.start;
  const to = last >= tokens.length - 1 ? text.length : tokens[last]!.end;

  const parts: SnippetPart[] = [];
  let at = from;
  for (const { index } of hits) {
    if (index < first || index > last) continue;
    const { start, end } = tokens[index]!;
    if (start > at) parts.push({ text: text.slice(at, start), match: false });
    parts.push({ text: text.slice(start, end), match: true });
    at = end;
  }
  if (to > at) parts.push({ text: text.slice(at, to), match: false });
  return { parts, elidedBefore: from > 0, elidedAfter: to < text.length };
}

/** A token that matches: its index among the tokens and the query words it matches. */
interface Hit {
  index: number;
  words: number[];
}

/** First token of the window (see buildSnippet): one pass over the hits with a sliding window. */
function windowStart(hits: Hit[], size: number, tokenCount: number, wordCount: number): number {
  if (hits.length === 0 || tokenCount <= size) return 0;
  const perWord = new Array<number>(wordCount).fill(0);
  let distinct = 0;
  let end = 0; // hits[h, end) fit in the window that starts at hits[h]
  let best = { h: 0, end: 1, score: -1 };
  for (let h = 0; h < hits.length; h++) {
    for (; end < hits.length && hits[end]!.index < hits[h]!.index + size; end++) {
      for (const word of hits[end]!.words) if (perWord[word]!++ === 0) distinct++;
    }
    const score = distinct * (size + 1) + (end - h);
    if (score > best.score) best = { h, end, score };
    for (const word of hits[h]!.words) if (--perWord[word]! === 0) distinct--;
  }
  const span = hits[best.end - 1]!.index - hits[best.h]!.index + 1;
  const start = hits[best.h]!.index - Math.floor((size - span) / 2);
  return Math.max(0, Math.min(start, tokenCount - size));
}
