import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { SearchPage } from '../../protocol/wire.js';
import { TokenizerProbe } from '../../scripts/fts-unicode61-table.js';
import { tokenize } from '../store/fts-unicode61.js';
import { api, register, useTestServer } from './harness.js';
import { unicodeText, wellFormedText } from './unicode-arbitraries.js';

/**
 * Search over any text, checked against SQLite's own tokenizer (a probe
 * table), not against the server's JavaScript port of it.
 */
describe('search takes any text', () => {
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

  it('property: any query answers 200; any word of a stored body finds it, as typed and as folded', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(wellFormedText(120), { minLength: 1, maxLength: 3 }), unicodeText(40), fc.nat(), async (bodies, noise, pick) => {
        const tokens = bodies.flatMap((body, i) => tokenize(body).map((token) => ({ seq: i + 1, text: body.slice(token.start, token.end), term: token.term })));
        const session = await seed(bodies);

        const random = await search(session, noise);
        if (noise.toWellFormed().trim().length === 0 || noise.toWellFormed().trim().length > 200) expect(random.status).toBe(400);
        else expect(random.status).toBe(200);

        const word = tokens[pick % Math.max(tokens.length, 1)];
        if (!word || word.text.length > 200) return;
        for (const q of [word.text, word.term]) {
          const { status, page } = await search(session, q);
          expect(status, JSON.stringify(q)).toBe(200);
          expect(page.results.map((r) => r.seq), JSON.stringify(q)).toContain(word.seq);
        }
      }),
      { numRuns: 150 },
    );
  });
});
