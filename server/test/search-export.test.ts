import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import type { EchoFrame, HistoryMessage, SearchPage } from '../../protocol/wire.js';
import { api, expectApiError, register, useTestServer } from './harness.js';
import { withDb } from './sqlite-fixture.js';

describe('search and export', () => {
  const t = useTestServer();

  async function seed(sessionId: string, bodies: string[]): Promise<string> {
    const { token } = await register(t.server, sessionId);
    const client = await t.connect(sessionId, { token });
    for (const body of bodies) {
      client.send(body);
      await client.next();
    }
    return token;
  }
  const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  it('bounds what one search costs: at most 16 different words (a repeated word counts once)', async () => {
    const token = await seed('words', ['w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17']);
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i + 1}`).join(' ');
    const sixteen = await api(t.server, `/api/sessions/words/search?q=${encodeURIComponent(words(16))}`, auth(token));
    expect(((await sixteen.json()) as SearchPage).results).toHaveLength(1);
    const seventeen = await api(t.server, `/api/sessions/words/search?q=${encodeURIComponent(words(17))}`, auth(token));
    const error = await expectApiError(seventeen, 400, 'invalid_query');
    expect(error.message).toBe('q: a search has at most 16 different words');
    // 100 times the same word (200 characters) is one word.
    const repeated = await api(t.server, `/api/sessions/words/search?q=${encodeURIComponent(Array(100).fill('w1').join(' ').slice(0, 200))}`, auth(token));
    expect(((await repeated.json()) as SearchPage).results).toHaveLength(1);
  });

  it('finds words in one session only, best match first, with highlighted snippets, paged', async () => {
    const token = await seed('s1', ['the quick brown fox', 'a lazy dog', 'fox fox fox, said the fox', 'Café au lait', 'nothing here']);
    await seed('s2', ['a fox in another session']);

    const page = (await (await api(t.server, '/api/sessions/s1/search?q=fox', auth(token))).json()) as SearchPage;
    expect(page.results.map((r) => r.seq)).toEqual([3, 1]); // more matches rank first (bm25)
    expect(page.results[0]).toMatchObject({ seq: 3, body: 'fox fox fox, said the fox', text: 's1: fox fox fox, said the fox' });
    expect(page.results[1]!.snippet).toEqual([
      { text: 'the quick brown ', match: false },
      { text: 'fox', match: true },
    ]);

    // Accents folded, prefix on the last word, several words all required.
    const cafe = (await (await api(t.server, '/api/sessions/s1/search?q=cafe', auth(token))).json()) as SearchPage;
    expect(cafe.results.map((r) => r.seq)).toEqual([4]);
    const prefix = (await (await api(t.server, '/api/sessions/s1/search?q=quick%20bro', auth(token))).json()) as SearchPage;
    expect(prefix.results.map((r) => r.seq)).toEqual([1]);

    const first = (await (await api(t.server, '/api/sessions/s1/search?q=fox&limit=1', auth(token))).json()) as SearchPage;
    const second = (await (await api(t.server, '/api/sessions/s1/search?q=fox&limit=1&offset=1', auth(token))).json()) as SearchPage;
    expect([first.hasMore, second.hasMore]).toEqual([true, false]);
    expect([first.results[0]!.seq, second.results[0]!.seq]).toEqual([3, 1]);
  });

  it('takes any text as a query (FTS syntax cannot break it) and validates the rest', async () => {
    const token = await seed('s3', ['say "hello" (or not)', 'snake_case and ice-cream, cafe\u0301']);
    // Words joined by punctuation, and decomposed accents, are found as the tokenizer split them.
    for (const q of ['snake_case', 'ice-cream', 'café', 'cafe\u0301']) {
      const found = (await (await api(t.server, `/api/sessions/s3/search?q=${encodeURIComponent(q)}`, auth(token))).json()) as SearchPage;
      expect(found.results.map((r) => r.seq), q).toEqual([2]);
    }
    for (const q of ['"', 'hello"', 'AND OR NOT', '*', '(', 'NEAR(', 'body:hello', "'; DROP TABLE messages; --"]) {
      const res = await api(t.server, `/api/sessions/s3/search?q=${encodeURIComponent(q)}`, auth(token));
      expect(res.status, q).toBe(200);
    }
    await expectApiError(await api(t.server, '/api/sessions/s3/search', auth(token)), 400, 'invalid_query');
    await expectApiError(await api(t.server, '/api/sessions/s3/search?q=x&limit=101', auth(token)), 400, 'invalid_query');
    const tooFar = await expectApiError(await api(t.server, '/api/sessions/s3/search?q=x&offset=10001', auth(token)), 400, 'invalid_query');
    expect(tooFar.message).toContain('offset: 0 to 10000');
    // Text without a word (spaces, a tab, punctuation) is a query that finds nothing, not an error.
    for (const q of ['%20', '%09', '!!!']) {
      const res = await api(t.server, `/api/sessions/s3/search?q=${q}`, auth(token));
      expect(res.status).toBe(200);
      expect(((await res.json()) as SearchPage).results).toEqual([]);
    }
    await expectApiError(await api(t.server, '/api/sessions/s3/search?q=x'), 401);
  });

  it('keeps the index in step with deletes', async () => {
    const token = await seed('s4', ['findable words']);
    await api(t.server, '/api/sessions/s4', { method: 'DELETE', ...auth(token) });
    const again = await seed('s4', ['other words']);
    const page = (await (await api(t.server, '/api/sessions/s4/search?q=findable', auth(again))).json()) as SearchPage;
    expect(page.results).toEqual([]);
    // The purge deletes the rows; the search worker then drops their index entries and the log of them is trimmed.
    await t.server.store.retention.purgeDeleted();
    await t.server.store.search.indexed();
    withDb(t.server.config.dbPath, (db) => {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.exec("INSERT INTO search.fts (fts, rank) VALUES ('integrity-check', 0)");
      expect(db.prepare('SELECT count(*) FROM search.fts WHERE rowid NOT IN (SELECT id FROM messages)').pluck().get()).toBe(0);
      expect(db.prepare('SELECT count(*) FROM search.fts').pluck().get()).toBe(db.prepare('SELECT count(*) FROM messages').pluck().get());
      expect(db.prepare('SELECT count(*) FROM search_forget').pluck().get()).toBe(0);
    }, { index: true });
  });

  it('exports the whole history as NDJSON and as CSV, streamed', async () => {
    const bodies = Array.from({ length: 2500 }, (_, i) => (i === 7 ? '=cmd|"/c calc"!A1' : `line ${i}, with "quotes"\nand a newline`));
    const token = await seed('s5', bodies);

    const ndjson = await api(t.server, '/api/sessions/s5/export?format=ndjson', auth(token));
    expect(ndjson.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(ndjson.headers.get('content-disposition')).toBe('attachment; filename="s5-history.ndjson"');
    const lines = (await ndjson.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as HistoryMessage);
    expect(lines.map((m) => m.seq)).toEqual(bodies.map((_, i) => i + 1));
    expect(lines.map((m) => m.body)).toEqual(bodies);

    const csv = await api(t.server, '/api/sessions/s5/export?format=csv', auth(token));
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await csv.text();
    expect(text.startsWith('seq,id,at,body\n1,,')).toBe(true);
    expect(text).toContain('"line 0, with ""quotes""\nand a newline"');
    expect(text).toContain(`8,,${lines[7]!.at},"'=cmd|""/c calc""!A1"`); // formula neutralised

    await expectApiError(await api(t.server, '/api/sessions/s5/export?format=xml', auth(token)), 400, 'invalid_query');
    await expectApiError(await api(t.server, '/api/sessions/s5/export'), 401);
  });

  it('neutralises every cell a client controls (id and body) against formula injection in CSV', async () => {
    const { token } = await register(t.server, 's6');
    const client = await t.connect('s6', { token, json: true });
    await client.next(); // ready
    // What spreadsheets run: = + - @ tab CR, and the full-width forms some normalise.
    const starts = ['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'];
    const sent = [
      { id: '=HYPERLINK("http://example.invalid","x")', text: '=1+1' },
      ...starts.map((start, i) => ({ id: `${start}id${i}`, text: `${start}cmd|' /C calc'!A0` })),
      { id: 'plain', text: 'no formula = here' },
    ];
    const echoes: EchoFrame[] = [];
    for (const { id, text } of sent) {
      client.send({ type: 'send', id, text });
      echoes.push(await client.nextJson<EchoFrame>());
    }

    const csv = await (await api(t.server, '/api/sessions/s6/export?format=csv', auth(token))).text();
    // The rows the export must be: csv-stringify's quoting, each formula-like cell behind an apostrophe.
    const neutral = (cell: string) => (cell === 'plain' || cell.startsWith('no formula') ? cell : `'${cell}`);
    const expected = stringify([
      ['seq', 'id', 'at', 'body'],
      ...sent.map(({ id, text }, i) => [i + 1, neutral(id), echoes[i]!.at, neutral(text)]),
    ]);
    expect(csv).toBe(expected);
    expect(csv).toContain(`1,"'=HYPERLINK(""http://example.invalid"",""x"")",`);
  });
});
