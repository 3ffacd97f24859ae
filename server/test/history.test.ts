import { beforeAll, describe, expect, it } from 'vitest';
import type { HistoryMessage, HistoryPage, RegisteredSession } from '../../protocol/wire.js';
import { api, expectApiError, history, register, useTestServer } from './harness.js';

const TOTAL = 120;
const seqs = (page: HistoryPage) => page.messages.map((m) => m.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('GET /api/sessions/:id/messages', () => {
  const t = useTestServer({}, 'all');
  let text: RegisteredSession;
  let json: RegisteredSession;

  beforeAll(async () => {
    text = await register(t.server, 'hist-text');
    const textClient = await t.connect(text.id, { token: text.token });
    for (let i = 1; i <= TOTAL; i++) {
      textClient.send(`m${i}`);
      expect(await textClient.next()).toBe(`hist-text: m${i}`);
    }
    textClient.close();

    json = await register(t.server, 'hist-json');
    const jsonClient = await t.connect(json.id, { token: json.token, json: true });
    expect(await jsonClient.nextJson()).toEqual({ type: 'ready', lastSeq: 0, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });
    for (const [id, body] of [['c1', 'one'], ['c2', 'two']]) {
      jsonClient.send({ type: 'send', id, text: body });
      expect(await jsonClient.nextJson()).toMatchObject({ type: 'echo', id });
    }
    jsonClient.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => api(t.server, path, { headers });

  describe('authorisation', () => {
    it('is 401 without a token', async () => {
      await expectApiError(await get('/api/sessions/hist-text/messages'), 401, 'unauthorized');
    });

    it('is 401 with a wrong token, in any of the three places', async () => {
      const path = '/api/sessions/hist-text/messages';
      await expectApiError(await get(path, { authorization: 'Bearer wrong-token' }), 401, 'unauthorized');
      await expectApiError(await get(`${path}?token=wrong-token`), 401, 'unauthorized');
      await expectApiError(await get(path, { cookie: 'st_hist-text=wrong-token' }), 401, 'unauthorized');
    });

    it("is 401 with another session's token", async () => {
      const res = await get('/api/sessions/hist-text/messages', { authorization: `Bearer ${json.token}` });
      await expectApiError(res, 401, 'unauthorized');
    });

    it('is 404 for an unknown session', async () => {
      const res = await get('/api/sessions/no-such-session/messages', { authorization: `Bearer ${text.token}` });
      await expectApiError(res, 404);
    });

    it.each(['a%20b', 'x'.repeat(65), '%C3%A9'])('is 400 for the invalid ID %s', async (id) => {
      const error = await expectApiError(await get(`/api/sessions/${id}/messages`), 400, 'invalid_session_id');
      expect(error.message).toContain('1 to 64');
    });

    it.each([
      ['cookie', () => get('/api/sessions/hist-text/messages', { cookie: `other=1; st_hist-text=${text.token}` })],
      ['Bearer', () => get('/api/sessions/hist-text/messages', { authorization: `Bearer ${text.token}` })],
      ['?token=', () => get(`/api/sessions/hist-text/messages?token=${text.token}`)],
    ])('accepts the token via %s', async (_label, request) => {
      const res = await request();
      expect(res.status).toBe(200);
      const page = (await res.json()) as HistoryPage;
      expect(page.messages).toHaveLength(50);
    });
  });

  describe('paging', () => {
    it('returns the newest 50 ascending by default, with hasMore', async () => {
      const page = await history(t.server, text.id, text.token);
      expect(seqs(page)).toEqual(range(71, 120));
      expect(page.hasMore).toBe(true);
    });

    it('?before= walks back to the oldest page', async () => {
      const second = await history(t.server, text.id, text.token, '?before=71');
      expect(seqs(second)).toEqual(range(21, 70));
      expect(second.hasMore).toBe(true);

      const last = await history(t.server, text.id, text.token, '?before=21');
      expect(seqs(last)).toEqual(range(1, 20));
      expect(last.hasMore).toBe(false);
    });

    it('honours ?limit= up to 500', async () => {
      const all = await history(t.server, text.id, text.token, '?limit=500');
      expect(seqs(all)).toEqual(range(1, TOTAL));
      expect(all.hasMore).toBe(false);

      const few = await history(t.server, text.id, text.token, '?limit=3&before=10');
      expect(seqs(few)).toEqual([7, 8, 9]);
      expect(few.hasMore).toBe(true);
    });

    it.each(['limit=501', 'limit=0', 'limit=-1', 'limit=2.5', 'before=abc', 'before=0'])(
      'refuses ?%s with 400',
      async (query) => {
        const res = await get(`/api/sessions/hist-text/messages?${query}`, { authorization: `Bearer ${text.token}` });
        await expectApiError(res, 400);
      },
    );

    it('keeps histories of sessions apart', async () => {
      const page = await history(t.server, json.id, json.token);
      expect(seqs(page)).toEqual([1, 2]);
      expect(page.hasMore).toBe(false);
    });
  });

  describe('message shape', () => {
    it('text-mode messages: {seq, id:null, body, text:"<ID>: <body>", at}', async () => {
      const page = await history(t.server, text.id, text.token, '?limit=500');
      page.messages.forEach((message: HistoryMessage, i) => {
        expect(message).toEqual({
          seq: i + 1,
          id: null,
          body: `m${i + 1}`,
          text: `hist-text: m${i + 1}`,
          at: expect.any(String),
        });
        expect(new Date(message.at).toISOString()).toBe(message.at);
      });
      const times = page.messages.map((m) => Date.parse(m.at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it('JSON-mode messages carry their client id', async () => {
      const page = await history(t.server, json.id, json.token);
      expect(page.messages).toEqual([
        { seq: 1, id: 'c1', body: 'one', text: 'hist-json: one', at: expect.any(String) },
        { seq: 2, id: 'c2', body: 'two', text: 'hist-json: two', at: expect.any(String) },
      ]);
      for (const m of page.messages) expect(new Date(m.at).toISOString()).toBe(m.at);
    });
  });
});
