import fc from 'fast-check';

/**
 * Characters where tokenizers, snippet markers and JSON disagree: word
 * characters, diacritics and other combining marks, separators of every kind,
 * the code points JavaScript calls letters and SQLite's unicode61 separators
 * (U+19B0..U+19C9, U+1CF2), FTS5 snippet()'s marker characters and other
 * private-use ones, astral letters and emoji.
 */
const TRICKY = [
  'a', 'Z', '0', '9', '_', 'é', 'ß', 'İ', 'ı', '\u212A' /* Kelvin K */, 'Σ', 'ς', 'ǅ', '中', 'ㄱ', '\u0E01', '\u0663',
  '\u0301', '\u0300', '\u0308', '\u0327', '\u0332', '\u0483', '\u093F', '\u094D', '\u20DD', '\u3099',
  ' ', '\t', '\n', '\r', '\u0000', '"', "'", '*', '(', ')', ':', '^', '-', '+', '.', ',', '\u00A0', '\u1680', '\u2028',
  '\u200B', '\u200D', '\u2060', '\u3000', '\uFEFF', '\uFFFD', '\uFFFF',
  '\u19B0', '\u19B5', '\u19C0', '\u19C8', '\u1CF2', '\u1CF3',
  '\uE000', '\uE001', '\uE002', '\uF8FF', '\u{F0000}', '\u{10FFFD}',
  '\u{10400}' /* Deseret capital: folds */, '\u{1D400}', '\u{20000}', '😀', '👍🏽', '\u{E0041}' /* tag A */, '\u0378' /* unassigned */,
];

const tricky = fc.constantFrom(...TRICKY);

/** One character: any code point (astral included), a lone surrogate, or one of the tricky characters above. */
export const unicodeChar = fc.oneof({ arbitrary: tricky, weight: 3 }, { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 1 });

/** Random Unicode text, possibly ill-formed (lone surrogates). */
export const unicodeText = (maxLength = 40) => fc.array(unicodeChar, { maxLength }).map((chars) => chars.join(''));

/** Random well-formed Unicode text: what a client can store. */
export const wellFormedText = (maxLength = 40) => unicodeText(maxLength).map((s) => s.toWellFormed());
