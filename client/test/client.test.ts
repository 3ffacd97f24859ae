import { describe, expect, it } from 'vitest';
import { useTestServer } from '../../server/test/harness.js';
import { ClientError, type ReceivedMessage } from '../src/index.js';
import { contiguous, next, nodeClient, record, sharedTokens, wholeHistory } from './helpers.js';

const t = useTestServer();

describe('the client against the real server', () => {
  it('registers, connects, and resolves send() with the committed message', async () => {
    const client = nodeClient(t.server.httpUrl);
    const states = record(client, 'state');
    expect(await client.open('c-ack')).toMatchObject({ id: 'c-ack', created: true });
    await client.connect();
    const acked = await client.send('hello');
    expect(acked).toEqual({ seq: 1, id: expect.stringMatching(/^[0-9a-f]{32}$/), text: 'c-ack: hello', body: 'hello', at: expect.any(String) });
    expect(new Date(acked.at).toISOString()).toBe(acked.at);
    expect(states.map((s) => s.status)).toEqual(['connecting', 'open']);
    expect(states[1]).toMatchObject({ lastSeq: 0, maxMessageBytes: t.server.config.maxMessageBytes });
    expect(await wholeHistory(client)).toEqual([acked]);
    expect(client.pending()).toEqual([]);
    await client.close();
    expect(client.state).toEqual({ status: 'closed', code: null, reason: 'closed by the client' });
  });

  it('fans out: two clients each see both messages, in seq order, once', async () => {
    const tokenStore = sharedTokens();
    const a = nodeClient(t.server.httpUrl, { tokenStore });
    const b = nodeClient(t.server.httpUrl, { tokenStore });
    expect((await a.open('c-fan')).created).toBe(true);
    expect((await b.open('c-fan')).created).toBe(false); // the same token: rejoined (200)
    const seenA = record(a, 'message');
    const seenB = record(b, 'message');
    await Promise.all([a.connect(), b.connect()]);
    const sent = await Promise.all([a.send('from a 1'), b.send('from b 1'), a.send('from a 2'), b.send('from b 2')]);
    await Promise.all([seenA.until((seen) => seen.length === 4), seenB.until((seen) => seen.length === 4)]);
    const view = (seen: ReceivedMessage[]) => seen.map(({ seq, body }) => ({ seq, body }));
    expect(view(seenA)).toEqual([1, 2, 3, 4].map((seq) => ({ seq, body: sent.find((m) => m.seq === seq)!.body })));
    expect(view(seenB)).toEqual(view(seenA));
    // Each side knows its own.
    expect(seenA.filter((m) => m.own).map((m) => m.body).sort()).toEqual(['from a 1', 'from a 2']);
    expect(seenB.filter((m) => m.own).map((m) => m.body).sort()).toEqual(['from b 1', 'from b 2']);
    expect(contiguous(await wholeHistory(a))).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it('says an ID held elsewhere is taken: a typed 409 session_exists', async () => {
    const ownerTokens = sharedTokens();
    await nodeClient(t.server.httpUrl, { tokenStore: ownerTokens }).open('c-held');
    const other = nodeClient(t.server.httpUrl);
    const error = await other.open('c-held').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'session_exists', status: 409, retryable: false });
    // The same client rejoins once it is given the token (an invite link).
    expect(await other.open('c-held', { token: ownerTokens.get('c-held')! })).toMatchObject({ created: false });
    await other.connect();
  });

  it('checks IDs before asking the server, and calls before open()', async () => {
    const client = nodeClient(t.server.httpUrl);
    await expect(client.open('no spaces')).rejects.toMatchObject({ code: 'invalid_session_id' });
    await expect(client.send('x')).rejects.toMatchObject({ code: 'invalid_state' });
    await expect(client.connect()).rejects.toMatchObject({ code: 'invalid_state' });
    expect(() => client.history()).toThrow(ClientError);
  });

  it('gives up with unauthorized when its token stops being the session’s, and rejects what was pending', async () => {
    const tokens = new Map<string, string>();
    const store = { get: (id: string) => tokens.get(id) ?? null, set: (id: string, token: string) => void tokens.set(id, token), delete: () => undefined };
    const client = nodeClient(t.server.httpUrl, { tokenStore: store });
    await client.open('c-unauth');
    // Rejoining without the token is refused up front...
    await expect(nodeClient(t.server.httpUrl).open('c-unauth')).rejects.toMatchObject({ code: 'session_exists', status: 409 });
    // ...and a token that no longer matches (revoked, say) ends the client: retrying cannot help.
    tokens.set('c-unauth', 'revoked');
    const pending = client.send('never stored');
    await expect(client.connect()).rejects.toMatchObject({ code: 'unauthorized', status: 401, retryable: false });
    await expect(pending).rejects.toMatchObject({ code: 'unauthorized' });
    expect(client.state).toMatchObject({ status: 'closed', code: 'unauthorized' });
  });

  it('closes for good with session_deleted when the session is deleted elsewhere, rejecting pending sends', async () => {
    const tokenStore = sharedTokens();
    const a = nodeClient(t.server.httpUrl, { tokenStore });
    const b = nodeClient(t.server.httpUrl, { tokenStore });
    await a.open('c-del');
    await b.open('c-del');
    await a.connect();
    const closed = next(a, 'state', (s) => s.status === 'closed');
    await b.delete();
    expect(await closed).toMatchObject({ status: 'closed', code: 'session_deleted' });
    await expect(a.send('too late')).rejects.toMatchObject({ code: 'session_deleted' });
    expect(b.state).toMatchObject({ status: 'closed', code: 'session_deleted' });
  });

  it('reads history by cursor, searches, exports and describes the session over HTTP', async () => {
    const client = nodeClient(t.server.httpUrl);
    await client.open('c-http');
    await client.connect();
    for (let i = 1; i <= 7; i++) await client.send(i === 4 ? 'the café opens' : `note ${i}`);
    const newest = await client.history({ limit: 3 });
    expect(newest.messages.map((m) => m.seq)).toEqual([5, 6, 7]);
    expect(newest.hasMore).toBe(true);
    const older = await client.history({ before: 5, limit: 3 });
    expect(older.messages.map((m) => m.seq)).toEqual([2, 3, 4]);
    const found = await client.search('cafe');
    expect(found.results.map((r) => r.seq)).toEqual([4]);
    expect(found.results[0]!.snippet.some((part) => part.match && part.text.toLowerCase() === 'café')).toBe(true);
    const exported = await (await client.export('ndjson')).text();
    expect(exported.trim().split('\n').map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(client.exportUrl('csv')).toBe(`${t.server.httpUrl}/api/sessions/c-http/export?format=csv`);
    expect(await client.info()).toMatchObject({ id: 'c-http', lastSeq: 7 });
    await client.close();
  });

  it('resumes after a lost connection: the server restarts, the client reconnects and misses nothing', async () => {
    const tokenStore = sharedTokens();
    const client = nodeClient(t.server.httpUrl, { tokenStore, backoff: { minMs: 50, maxMs: 200 } });
    const writer = nodeClient(t.server.httpUrl, { tokenStore });
    const { id } = await client.open();
    await writer.open(id);
    await client.connect();
    const seen = record(client, 'message');
    const states = record(client, 'state');
    await client.send('before');
    await t.restart();
    // Written while the client may be away: it gets them on resume (?after=), in order, once.
    await writer.connect();
    await writer.send('while away 1');
    await writer.send('while away 2');
    await states.until((all) => all.some((s) => s.status === 'open'));
    await client.send('after');
    expect(seen.map((m) => m.body)).toEqual(['before', 'while away 1', 'while away 2', 'after']);
    expect(seen.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    const reconnecting = states.find((s) => s.status === 'reconnecting');
    expect(reconnecting).toMatchObject({ attempt: 1, reason: { code: 'shutting_down' } });
    expect((reconnecting as { delayMs: number }).delayMs).toBeLessThan(50);
  });
});
