import { describe, expect, it } from 'vitest';
import { SUBPROTOCOL, type EchoFrame } from '../../protocol/wire.js';
import { history, register, upgradeStatus, useTestServer, wsBase, type TestClient } from './harness.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe.each(['ws', 'http'] as const)('upgrade on the %s port', (port) => {
  const t = useTestServer();
  const url = (path: string) => `${wsBase(t.server, port)}${path}`;
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  it('is refused with 400 for an invalid session ID', async () => {
    const { token } = await register(t.server, 'up-1');
    for (const path of ['/ws/a%20b', `/ws/${'x'.repeat(65)}`, '/ws/', '/ws/..%2Fx', '/ws/%C3%A9']) {
      expect(await upgradeStatus(url(path), bearer(token)), path).toBe(400);
    }
  });

  it('is refused with 401 without a token', async () => {
    await register(t.server, 'up-1');
    expect(await upgradeStatus(url('/ws/up-1'))).toBe(401);
    expect(await upgradeStatus(url('/ws/up-1'), { protocol: SUBPROTOCOL })).toBe(401);
  });

  it('is refused with 401 for a wrong token (Bearer, ?token=, cookie, another session)', async () => {
    await register(t.server, 'up-1');
    const other = await register(t.server, 'up-2');
    expect(await upgradeStatus(url('/ws/up-1'), bearer('wrong-token'))).toBe(401);
    expect(await upgradeStatus(url('/ws/up-1?token=wrong-token'))).toBe(401);
    expect(await upgradeStatus(url('/ws/up-1'), { headers: { cookie: 'st_up-1=wrong-token' } })).toBe(401);
    expect(await upgradeStatus(url('/ws/up-1'), bearer(other.token))).toBe(401);
  });

  it('is refused with 404 for an unknown session', async () => {
    const { token } = await register(t.server, 'up-1');
    expect(await upgradeStatus(url('/ws/no-such-session'), bearer(token))).toBe(404);
  });

  it('is refused with 400 for an unsupported subprotocol', async () => {
    const { token } = await register(t.server, 'up-1');
    expect(await upgradeStatus(url('/ws/up-1'), { protocol: 'chat.v9', ...bearer(token) })).toBe(400);
  });

  it('is refused with 400 for ?after= in text mode or a non-numeric ?after=', async () => {
    const { token } = await register(t.server, 'up-1');
    expect(await upgradeStatus(url('/ws/up-1?after=0'), bearer(token))).toBe(400);
    for (const after of ['abc', '-1', '1.5', '']) {
      const status = await upgradeStatus(url(`/ws/up-1?after=${after}`), { protocol: SUBPROTOCOL, ...bearer(token) });
      expect(status, `after=${after}`).toBe(400);
    }
  });

  it('is accepted with the token, and echoes', async () => {
    const { token } = await register(t.server, 'up-1');
    const client = await t.connect('up-1', { token, port });
    client.send('over this port');
    expect(await client.next()).toBe('up-1: over this port');
  });
});

describe('text mode (no subprotocol)', () => {
  const t = useTestServer();

  it('echoes "<ID>: <text>" as one text frame and stores the message', async () => {
    const { token } = await register(t.server, '0101');
    const client = await t.connect('0101', { token });
    expect(client.ws.protocol).toBe('');
    client.send('hello');
    expect(await client.next()).toBe('0101: hello');
    client.send('again');
    expect(await client.next()).toBe('0101: again');

    const page = await history(t.server, '0101', token);
    expect(page.messages.map((m) => [m.seq, m.id, m.body])).toEqual([
      [1, null, 'hello'],
      [2, null, 'again'],
    ]);
  });
});

describe('JSON mode (session.v1)', () => {
  const t = useTestServer();

  async function openJson(sessionId: string, token: string): Promise<TestClient> {
    const client = await t.connect(sessionId, { token, json: true });
    expect(client.ws.protocol).toBe(SUBPROTOCOL);
    expect(await client.nextJson()).toEqual({ type: 'ready', lastSeq: 0, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });
    return client;
  }

  async function sendAndEcho(client: TestClient, id: string, text: string): Promise<EchoFrame> {
    client.send({ type: 'send', id, text });
    return client.nextJson<EchoFrame>();
  }

  it('says ready, then echoes {type:"echo", seq, id, text:"<ID>: ...", at}', async () => {
    const { token } = await register(t.server, 'json-1');
    const client = await openJson('json-1', token);
    const echo = await sendAndEcho(client, 'm1', 'hi');
    expect(echo).toEqual({ type: 'echo', seq: 1, id: 'm1', text: 'json-1: hi', at: expect.stringMatching(ISO) });
    expect((await history(t.server, 'json-1', token)).messages).toEqual([
      { seq: 1, id: 'm1', body: 'hi', text: 'json-1: hi', at: echo.at },
    ]);
  });

  it('numbers messages 1, 2, 3, ... per session, independently across sessions', async () => {
    const a = await register(t.server, 'seq-a');
    const b = await register(t.server, 'seq-b');
    const ca = await openJson('seq-a', a.token);
    const cb = await openJson('seq-b', b.token);
    const order: Array<[TestClient, string]> = [[ca, 'a1'], [ca, 'a2'], [cb, 'b1'], [ca, 'a3'], [cb, 'b2'], [cb, 'b3']];
    const got: Record<string, number> = {};
    for (const [client, id] of order) got[id] = (await sendAndEcho(client, id, id)).seq;
    expect(got).toEqual({ a1: 1, a2: 2, a3: 3, b1: 1, b2: 2, b3: 3 });

    // Messages sent together (one group commit) still get consecutive seqs.
    for (const id of ['a4', 'a5', 'a6']) ca.send({ type: 'send', id, text: id });
    const burst = [await ca.nextJson<EchoFrame>(), await ca.nextJson<EchoFrame>(), await ca.nextJson<EchoFrame>()];
    expect(burst.map((e) => [e.seq, e.id])).toEqual([[4, 'a4'], [5, 'a5'], [6, 'a6']]);
  });

  it('answers invalid JSON with an invalid_json error frame and keeps the connection', async () => {
    const { token } = await register(t.server, 'json-1');
    const client = await openJson('json-1', token);
    client.send('{not json');
    expect(await client.nextJson()).toMatchObject({ type: 'error', code: 'invalid_json', message: expect.any(String) });
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    expect(await sendAndEcho(client, 'm1', 'still here')).toMatchObject({ seq: 1, text: 'json-1: still here' });
  });

  it('answers a frame without text with an invalid_frame error and stores nothing', async () => {
    const { token } = await register(t.server, 'json-1');
    const client = await openJson('json-1', token);
    client.send({ type: 'send', id: 'no-text' });
    expect(await client.nextJson()).toMatchObject({ type: 'error', code: 'invalid_frame' });
    client.send({ type: 'hello', id: 'x', text: 'wrong type' });
    expect(await client.nextJson()).toMatchObject({ type: 'error', code: 'invalid_frame' });
    expect(await sendAndEcho(client, 'ok', 'fine')).toMatchObject({ seq: 1, id: 'ok' });
  });

  it('refuses an ill-formed string in any field of a frame (invalid_frame), stores nothing and keeps the connection', async () => {
    const { token } = await register(t.server, 'json-1');
    const client = await openJson('json-1', token);
    // Lone high, lone low, reversed pair, high at the end, high before a non-surrogate, a pair then a lone low.
    const illFormed = ['\uD800', '\uDC00', 'a\uDC00\uD800b', 'end\uD83D', '\uD83Dx', 'ok\uD83D\uDE00\uDC00'];
    const cases = illFormed.flatMap((bad) => [
      { field: 'id', frame: { type: 'send', id: bad, text: 'hello' } },
      { field: 'text', frame: { type: 'send', id: 'ok-id', text: bad } },
      { field: 'type', frame: { type: bad, id: 'ok-id', text: 'hello' } },
      { field: 'extra.deep.1', frame: { type: 'send', id: 'ok-id', text: 'hello', extra: { deep: [1, bad] } } },
      { field: 'key', frame: { type: 'send', id: 'ok-id', text: 'hello', [`key${bad}`]: 1 } },
    ]);
    for (const { field, frame } of cases) {
      client.send(frame); // JSON.stringify writes a lone surrogate as a \uD800 escape
      expect(await client.nextJson(), JSON.stringify(frame)).toEqual({
        type: 'error',
        code: 'invalid_frame',
        message: expect.stringContaining(`${field}`),
        id: field === 'id' ? null : 'ok-id',
      });
    }
    // The frame, as raw JSON text.
    client.send('{"type":"send","id":"\\ud800","text":"hello"}');
    expect(await client.nextJson()).toMatchObject({ type: 'error', code: 'invalid_frame', id: null });
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    expect(await sendAndEcho(client, 'after', 'still here')).toMatchObject({ seq: 1, id: 'after' });
    expect((await history(t.server, 'json-1', token)).messages.map((m) => m.id)).toEqual(['after']);
  });

  it('refuses a frame nested deeper than 32 levels (invalid_frame, naming where), up to the size limit, and keeps the connection', async () => {
    const { token } = await register(t.server, 'json-1');
    const client = await openJson('json-1', token);
    const arrays = (n: number, inner = '') => `${'['.repeat(n)}${inner}${']'.repeat(n)}`;
    const objects = (n: number) => `${'{"k":'.repeat(n)}1${'}'.repeat(n)}`;
    const frame = (extra: string) => `{"type":"send","id":"deep","text":"hi","a":${extra}}`;
    // The largest frames the limit lets in (64 KB), nested as deep as they can be: they used to freeze the server for minutes.
    const room = 65536 - frame('').length;
    for (const deep of [arrays(Math.floor(room / 2)), objects(Math.floor(room / 6)), arrays(32)]) {
      client.send(frame(deep));
      expect(await client.nextJson()).toEqual({
        type: 'error',
        code: 'invalid_frame',
        message: expect.stringContaining(`a.${deep.startsWith('[') ? '0.'.repeat(30) + '0' : 'k.'.repeat(30) + 'k'}: nested deeper than 32 levels`),
        id: 'deep',
      });
    }
    client.send(`{"type":"send","id":"deep","text":${arrays(5000)}}`);
    expect(await client.nextJson()).toMatchObject({ type: 'error', code: 'invalid_frame', id: 'deep' });
    // 32 levels (the frame and 31 arrays) are fine, and an ill-formed string at the bottom is found with its whole path.
    client.send(frame(arrays(31, '"\\ud800"')));
    expect(await client.nextJson()).toMatchObject({ message: expect.stringContaining(`a.${'0.'.repeat(30)}0: strings must be well-formed`) });
    client.send(frame(arrays(31)));
    expect(await client.nextJson()).toMatchObject({ type: 'echo', seq: 1, id: 'deep', text: 'json-1: hi' });
    expect((await history(t.server, 'json-1', token)).messages.map((m) => m.id)).toEqual(['deep']);
  });

  it('accepts the token from the session cookie and from ?token=', async () => {
    const { token } = await register(t.server, 'json-1');
    const byCookie = await t.connect('json-1', { json: true, headers: { cookie: `theme=dark; st_json-1=${token}` } });
    expect(await byCookie.nextJson()).toEqual({ type: 'ready', lastSeq: 0, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });
    expect(await sendAndEcho(byCookie, 'c', 'cookie')).toMatchObject({ seq: 1 });

    const byQuery = await t.connect('json-1', { json: true, query: { token } });
    expect(await byQuery.nextJson()).toEqual({ type: 'ready', lastSeq: 1, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });
    expect(await sendAndEcho(byQuery, 'q', 'query')).toMatchObject({ seq: 2 });
  });

  it('sends every echo to every JSON connection of the session', async () => {
    const { token } = await register(t.server, 'json-1');
    const sender = await openJson('json-1', token);
    const watcher = await t.connect('json-1', { token, json: true });
    expect(await watcher.nextJson()).toEqual({ type: 'ready', lastSeq: 0, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });
    const echo = await sendAndEcho(sender, 'm1', 'to all');
    expect(await watcher.nextJson()).toEqual(echo);
  });
});
