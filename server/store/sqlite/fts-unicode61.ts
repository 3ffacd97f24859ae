import { CLASS_RUNS, FOLD_RUNS } from './fts-unicode61-table.js';

/**
 * SQLite FTS5's `unicode61` tokenizer (fts5_tokenize.c), in JavaScript, so
 * that queries are split into words and snippets marked exactly where the
 * search index split them. What each code point is, and what it folds to
 * (lower case, and diacritics removed as `remove_diacritics 2` does), is not
 * JavaScript's Unicode: it is read from the linked SQLite by
 * scripts/fts-unicode61-table.ts (the table differs from \p{L}\p{N} on about a
 * million code points: SQLite counts unassigned and private-use ones as token
 * characters, and some of JavaScript's letters as separators).
 */
export const CharClass = {
  /** Ends a token; skipped between tokens. */
  separator: 0,
  /** Starts or continues a token. */
  token: 1,
  /** Continues a token (and folds to nothing); skipped where a token would start. */
  diacritic: 2,
} as const;
type CharClass = (typeof CharClass)[keyof typeof CharClass];

/** A token of a text: [start, end) in UTF-16 code units, and the folded term the index holds. */
export interface Token {
  start: number;
  end: number;
  term: string;
}

const BMP = 0x10000;
const bmpClasses = new Uint8Array(BMP);
const astralRunStarts: number[] = [];
const astralRunClasses: CharClass[] = [];
for (let i = 0; i < CLASS_RUNS.length; i += 2) {
  const first = CLASS_RUNS[i]!;
  const cls = CLASS_RUNS[i + 1] as CharClass;
  const end = i + 2 < CLASS_RUNS.length ? CLASS_RUNS[i + 2]! : 0x110000;
  if (first < BMP) bmpClasses.fill(cls, first, Math.min(end, BMP));
  if (end > BMP) {
    astralRunStarts.push(Math.max(first, BMP));
    astralRunClasses.push(cls);
  }
}

/** Code point -> what it folds to, for those that change. */
const folds = new Map<number, string>();
for (let i = 0; i < FOLD_RUNS.length; i += 4) {
  const [first, count, stride, delta] = FOLD_RUNS.slice(i, i + 4) as [number, number, number, number];
  for (let k = 0; k < count; k++) folds.set(first + k * stride, String.fromCodePoint(first + k * stride + delta));
}

/** The class of a code point; lone surrogates are separators, as the U+FFFD SQLite receives for them. */
function charClass(cp: number): CharClass {
  if (cp < BMP) return bmpClasses[cp] as CharClass;
  let lo = 0;
  let hi = astralRunStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (astralRunStarts[mid]! <= cp) lo = mid;
    else hi = mid - 1;
  }
  return astralRunClasses[lo]!;
}

/**
 * The tokens of `text`, as SQLite's tokenizer makes them: a token starts at a
 * token character, continues over token characters and diacritics, and ends
 * at a separator; a leading diacritic is skipped. Unlike the index, terms are
 * not cut at FTS5's 32 KiB token limit: that only matters for terms longer
 * than any query.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    if (charClass(cp) !== CharClass.token) {
      i += cp >= BMP ? 2 : 1;
      continue;
    }
    const start = i;
    // The term is sliced from the text, with folded characters spliced in: most text folds to itself.
    let term = '';
    let unfolded = i;
    while (i < text.length) {
      const c = text.codePointAt(i)!;
      const cls = charClass(c);
      if (cls === CharClass.separator) break;
      const width = c >= BMP ? 2 : 1;
      const folded = cls === CharClass.diacritic ? '' : folds.get(c);
      if (folded !== undefined) {
        term += text.slice(unfolded, i) + folded;
        unfolded = i + width;
      }
      i += width;
    }
    tokens.push({ start, end: i, term: term + text.slice(unfolded, i) });
  }
  return tokens;
}

/**
 * `text` with `prefix` put in front of each of its tokens, everything else
 * (separators, diacritics, folding) left to SQLite: the tokenizer then makes
 * exactly the terms of `tokenize(text)`, each preceded by `prefix` (which
 * must be token characters that fold to themselves, such as ASCII digits and
 * lower-case letters). One pass with no token objects: it runs once per
 * indexed message (the search index's content, search-terms.ts), where
 * `tokenize` cost 2 us a 64-byte message (measured, issue 13).
 */
export function prefixTokens(text: string, prefix: string): string {
  let out = '';
  let copied = 0;
  let inToken = false;
  for (let i = 0; i < text.length; ) {
    const unit = text.charCodeAt(i);
    // A surrogate pair is one code point; a lone surrogate reaches SQLite as U+FFFD, a separator.
    const cp = unit >= 0xd800 && unit < 0xdc00 ? text.codePointAt(i)! : unit;
    const cls = charClass(cp);
    if (cls === CharClass.token) {
      if (!inToken) {
        out += text.slice(copied, i) + prefix;
        copied = i;
        inToken = true;
      }
    } else if (cls === CharClass.separator) {
      inToken = false;
    } // A diacritic continues a token, and where one would start it is skipped: no change either way.
    i += cp >= BMP ? 2 : 1;
  }
  return out + text.slice(copied);
}
