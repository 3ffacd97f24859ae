/**
 * Chat-like message text for the stall target's fixture, and the searches
 * its side load types: deterministic (a seeded PRNG), common short words
 * mixed with made-up words of 2 to 4 syllables, so one- and two-letter
 * prefixes match many messages, as in a real chat history.
 */

const COMMON = ['a', 'the', 'to', 'and', 'you', 'is', 'it', 'in', 'of', 'ok', 'hi', 'hello', 'so', 'we', 'at', 'on', 'no', 'yes', 'me', 'be'];
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'te', 'vo', 'zi', 'ba', 'de', 'fu', 'gi', 'ho', 'ju', 'pe', 'ri', 'sto', 'tra', 'el'];

/** What the searchers type, in turn: one- and two-letter prefixes, words, two words. */
export const SEARCH_QUERIES = ['a', 'th', 'hello', 'k', 'mi', 'the', 'ra', 's', 'lo', 'e', 'you ka', 'tra', 'yes'];

/** The text of the one message of the stall fixture's one-message session; SEARCH_QUERIES' "hello" finds it. */
export const ONE_MESSAGE = 'hello from a session that holds one message';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A message of words, about `bytes` long (never longer). */
export function chatText(next: () => number, bytes = 64): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  let text = '';
  for (;;) {
    let word = '';
    if (next() < 0.4) word = pick(COMMON);
    else for (let n = 2 + Math.floor(next() * 3); n > 0; n--) word += pick(SYLLABLES);
    const longer = text ? `${text} ${word}` : word;
    if (longer.length > bytes) return text || longer.slice(0, bytes);
    text = longer;
  }
}
