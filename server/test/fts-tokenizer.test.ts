import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { deriveUnicode61Table, TokenizerProbe } from '../../scripts/fts-unicode61-table.js';
import { prefixTokens, tokenize } from '../store/sqlite/fts-unicode61.js';
import { CLASS_RUNS, FOLD_RUNS, TABLE_SOURCE } from '../store/sqlite/fts-unicode61-table.js';
import { toFtsQuery } from '../store/sqlite/search.js';
import { openIndex } from '../store/sqlite/search-index.js';
import { unicodeText } from './unicode-arbitraries.js';

describe('the search tokenizer is SQLite FTS5 unicode61, exactly', () => {
  const probe = new TokenizerProbe();
  afterAll(() => probe.close());

  it('the generated table is what the linked SQLite does with every code point', () => {
    const derived = deriveUnicode61Table(probe);
    expect(derived.tokenizer).toBe(TABLE_SOURCE.tokenizer);
    // On a difference: `npx tsx scripts/fts-unicode61-table.ts`, then review the diff.
    expect(derived.classRuns).toEqual(CLASS_RUNS);
    expect(derived.foldRuns).toEqual(FOLD_RUNS);
  }, 120_000);

  it('splits and folds any text as SQLite does, and each token alone is that one token again', () => {
    const samples = ['a\u19B0b', 'Café cafe\u0301 \u0301x', 'İSTANBUL ǅ Σς', '\uE000alpha\uE001beta', 'a\u0000b', '\u{10400}x 😀y'];
    const check = (text: string) => {
      const tokens = tokenize(text);
      expect(tokens.map((t) => t.term)).toEqual(probe.terms(text));
      for (const token of tokens) expect(probe.terms(text.slice(token.start, token.end))).toEqual([token.term]);
    };
    samples.forEach(check);
    fc.assert(fc.property(unicodeText(60), check), { numRuns: 2000 });
  });

  it('puts a prefix in front of each token and changes nothing else SQLite sees (the session-scoped index terms)', () => {
    const samples = ['a\u19B0b', 'Café cafe\u0301 \u0301x', '\u0301\u0301a\u0301b c', 'İSTANBUL ǅ Σς', '\uD800x\uDC00y \u{10400}z', 'a\u0000b', ''];
    const check = (text: string) => {
      expect(probe.terms(prefixTokens(text, '12x'))).toEqual(probe.terms(text).map((term) => `12x${term}`));
      expect(prefixTokens(text, '')).toBe(text);
    };
    samples.forEach(check);
    fc.assert(fc.property(unicodeText(60), check), { numRuns: 2000 });
  });

  it('turns any text into an FTS5 query that SQLite accepts, one quoted token per word', () => {
    // The search index itself (detail=column: it refuses multi-token phrases), empty but the query is compiled.
    openIndex(probe.db, ':memory:');
    const count = probe.db.prepare<[string], number>('SELECT count(*) FROM search.fts WHERE fts MATCH ?').pluck();
    const check = (text: string) => {
      const query = toFtsQuery(text);
      expect(query?.terms ?? []).toEqual(probe.terms(text));
      if (query) expect(() => count.get(toFtsQuery(text, 1)!.fts)).not.toThrow();
    };
    // The example: U+19B0 is a letter to JavaScript, a separator to the index.
    expect(toFtsQuery('a\u19B0b')).toEqual({ fts: '"a" "b"*', terms: ['a', 'b'], words: 2 });
    // The same term again (case, accents folded) is one condition; the last word stays a prefix.
    expect(toFtsQuery('Café cafe CAFÉ x a a')).toEqual({ fts: '"Café" "x" "a" "a"*', terms: ['cafe', 'cafe', 'cafe', 'x', 'a', 'a'], words: 4 });
    fc.assert(fc.property(unicodeText(60), check), { numRuns: 2000 });
  });
});
