import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { SearchPage, SearchResult } from '../../protocol/wire.js';
import { TokenizerProbe } from '../../scripts/fts-unicode61-table.js';
import { tokenize } from '../store/sqlite/fts-unicode61.js';
import { api, register, useTestServer } from './harness.js';
import { unicodeText, wellFormedText } from './unicode-arbitraries.js';

/**
 * Search over any text, checked against SQLite's own tokenizer (a probe
 * table), not against the server's JavaScript port of it.
 */
describe('search takes any text and marks only real matches', () => {
  const t = useTestServer({}, 'all');
  const probe = new TokenizerProbe();
  afterAll(() => probe.close());
  let sessions = 0;

  /** A new session holding `bodies`, stored over a real WebSocket. */
  async function seed(bodies: string[]): Promise<{ id: string; token: string }> {
    const { id, token } = await register(t.server, `u${++sessions}`);
    const client = await t.connect(id, { token });
    for (const body of bodies) {
      client.send(body);
      await client.next();
    }
    client.close();
    return { id, token };
  }

  async function search(session: { id: string; token: string }, q: string): Promise<{ status: number; page: SearchPage }> {
    const res = await api(t.server, `/api/sessions/${session.id}/search?limit=100&q=${encodeURIComponent(q.toWellFormed())}`, {
      headers: { authorization: `Bearer ${session.token}` },
    });
    return { status: res.status, page: (await res.json()) as SearchPage };
  }

  /** The snippet is an exact slice of the body, and a part is marked exactly when SQLite says it is a matching token. */
  function expectHonestSnippet(result: SearchResult, q: string): void {
    const words = probe.terms(q.trim());
    const matches = (term: string) => words.some((word, i) => (i === words.length - 1 ? term.startsWith(word) : term === word));
    const joined = result.snippet.map((p) => p.text).join('');
    const { body } = result;
    expect(body.includes(joined), 'snippet is a slice of the body').toBe(true);
    if (!result.elidedBefore) expect(body.startsWith(joined)).toBe(true);
    if (!result.elidedAfter) expect(body.endsWith(joined)).toBe(true);
    if (!result.elidedBefore && !result.elidedAfter) expect(joined).toBe(body);
    expect(result.snippet.some((p) => p.match), 'a hit shows a match').toBe(true);
    for (const part of result.snippet) {
      expect(part.text.length).toBeGreaterThan(0);
      const terms = probe.terms(part.text);
      if (part.match) {
        expect(terms.length, JSON.stringify(part.text)).toBe(1);
        expect(matches(terms[0]!), JSON.stringify(part.text)).toBe(true);
      } else {
        expect(terms.filter(matches), JSON.stringify(part.text)).toEqual([]);
      }
    }
  }

  it('answers 200 to a word that JavaScript calls one letter run and the index two tokens (U+19B0)', async () => {
    const session = await seed(['a\u19B0b', 'ab']);
    const res = await api(t.server, `/api/sessions/${session.id}/search?q=a%E1%A6%B0b`, {
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(res.status).toBe(200);
    const page = (await res.json()) as SearchPage;
    expect(page.results.map((r) => r.seq)).toEqual([1]);
    expect(page.results[0]!.snippet).toEqual([
      { text: 'a', match: true },
      { text: '\u19B0', match: false },
      { text: 'b', match: true },
    ]);
  });

  it('keeps the body’s own private-use characters (FTS5 snippet markers) as text, never as marks', async () => {
    const bodies = ['alpha\uE001beta gamma', '\uE000gamma\uE001 gamma', 'x\uE000 \uE001 gamma\uE000y'];
    const session = await seed(bodies);
    const { page } = await search(session, 'gamma');
    const bySeq = new Map(page.results.map((r) => [r.seq, r]));
    expect(bySeq.get(1)!.snippet).toEqual([
      { text: 'alpha\uE001beta ', match: false },
      { text: 'gamma', match: true },
    ]);
    // "\uE000gamma\uE001" is one token (private use is a token character to unicode61): not a match for gamma.
    expect(bySeq.get(2)!.snippet).toEqual([
      { text: '\uE000gamma\uE001 ', match: false },
      { text: 'gamma', match: true },
    ]);
    // "gamma\uE000y" starts with gamma: the last word is a prefix.
    expect(bySeq.get(3)!.snippet).toEqual([
      { text: 'x\uE000 \uE001 ', match: false },
      { text: 'gamma\uE000y', match: true },
    ]);
    for (const result of page.results) expectHonestSnippet(result, 'gamma');
  });

  it('shows a window of a long body with the cut sides flagged', async () => {
    const words = Array.from({ length: 60 }, (_, i) => `w${i}`);
    words[30] = 'needle';
    const body = words.join(' ');
    const session = await seed([body]);
    const [result] = (await search(session, 'needle')).page.results;
    expect(result).toMatchObject({ elidedBefore: true, elidedAfter: true });
    const joined = result!.snippet.map((p) => p.text).join('');
    expect(tokenize(joined)).toHaveLength(16);
    expect(result!.snippet.filter((p) => p.match)).toEqual([{ text: 'needle', match: true }]);
    expectHonestSnippet(result!, 'needle');
  });

  it('property: any query answers 200; any word of a stored body finds it, as typed and as folded; snippets are honest', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(wellFormedText(120), { minLength: 1, maxLength: 3 }), unicodeText(40), fc.nat(), async (bodies, noise, pick) => {
        const tokens = bodies.flatMap((body, i) => tokenize(body).map((token) => ({ seq: i + 1, text: body.slice(token.start, token.end), term: token.term })));
        const session = await seed(bodies);

        const random = await search(session, noise);
        if (noise.toWellFormed().length === 0 || noise.toWellFormed().length > 200) expect(random.status).toBe(400); // spaces alone: a query without a word, 200
        else {
          expect(random.status).toBe(200);
          for (const result of random.page.results) expectHonestSnippet(result, noise.toWellFormed());
        }

        const word = tokens[pick % Math.max(tokens.length, 1)];
        if (!word || word.text.length > 200) return;
        for (const q of [word.text, word.term]) {
          const { status, page } = await search(session, q);
          expect(status, JSON.stringify(q)).toBe(200);
          expect(page.results.map((r) => r.seq), JSON.stringify(q)).toContain(word.seq);
          for (const result of page.results) expectHonestSnippet(result, q);
        }
      }),
      { numRuns: 150 },
    );
  });
});
