import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { EchoFrame } from '../../protocol/wire.js';
import { buildFrame, Op, RawWs, RSV2 } from '../../scripts/abuse/raw-ws.js';
import { history, register, storedCount, useTestServer, type TestClient } from './harness.js';

async function sendAndEcho(client: TestClient, id: string, text: string): Promise<EchoFrame> {
  client.send({ type: 'send', id, text });
  return client.nextJson<EchoFrame>();
}

describe('durability and resume', () => {
  const t = useTestServer();

  async function openJson(sessionId: string, token: string, after?: number): Promise<TestClient> {
    return t.connect(sessionId, { token, json: true, ...(after === undefined ? {} : { query: { after: String(after) } }) });
  }

  /** Stores `count` messages m1..mN in JSON mode and closes the client. */
  async function seed(sessionId: string, token: string, count: number): Promise<void> {
    const client = await openJson(sessionId, token);
    expect(await client.nextJson()).toMatchObject({ type: 'ready' });
    for (let i = 1; i <= count; i++) expect(await sendAndEcho(client, `m${i}`, `body ${i}`)).toMatchObject({ seq: i });
    client.close();
    await client.closed;
  }

  it('echoes only what is committed: another DB connection already sees each echoed message', async () => {
    const { token } = await register(t.server, 'dur-1');
    const reader = new Database(join(t.dir, 'app.db'), { readonly: true, fileMustExist: true });
    try {
      const committed = reader
        .prepare('SELECT body FROM messages m JOIN sessions s ON s.pk = m.session_pk WHERE s.id = ? AND m.seq = ?')
        .pluck();
      const text = await t.connect('dur-1', { token });
      for (let i = 1; i <= 3; i++) {
        text.send(`text ${i}`);
        expect(await text.next()).toBe(`dur-1: text ${i}`);
        expect(committed.get('dur-1', i)).toBe(`text ${i}`);
      }
      const json = await openJson('dur-1', token);
      expect(await json.nextJson()).toEqual({ type: 'ready', lastSeq: 3, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });
      const echo = await sendAndEcho(json, 'j', 'json body');
      expect(echo.seq).toBe(4);
      expect(committed.get('dur-1', 4)).toBe('json body');
    } finally {
      reader.close();
    }
  });

  it('keeps history across a restart and continues at the next seq', async () => {
    const { token } = await register(t.server, 'dur-1');
    const client = await openJson('dur-1', token);
    expect(await client.nextJson()).toEqual({ type: 'ready', lastSeq: 0, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });
    for (let i = 1; i <= 3; i++) await sendAndEcho(client, `m${i}`, `body ${i}`);

    await t.restart();
    expect((await client.closed).code).toBe(1001);

    expect((await history(t.server, 'dur-1', token)).messages.map((m) => [m.seq, m.id, m.body])).toEqual([
      [1, 'm1', 'body 1'],
      [2, 'm2', 'body 2'],
      [3, 'm3', 'body 3'],
    ]);
    const again = await openJson('dur-1', token);
    expect(await again.nextJson()).toEqual({ type: 'ready', lastSeq: 3, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });
    expect(await sendAndEcho(again, 'm4', 'after restart')).toMatchObject({ seq: 4, text: 'dur-1: after restart' });

    const text = await t.connect('dur-1', { token });
    text.send('text after restart');
    expect(await text.next()).toBe('dur-1: text after restart');
    expect((await history(t.server, 'dur-1', token)).messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('?after=2 replays seq 3, 4, 5 in order, then ready {lastSeq: 5}, then live echoes', async () => {
    const { token } = await register(t.server, 'dur-1');
    await seed('dur-1', token, 5);
    const client = await openJson('dur-1', token, 2);
    for (const seq of [3, 4, 5]) {
      expect(await client.nextJson()).toEqual({
        type: 'echo',
        seq,
        id: `m${seq}`,
        text: `dur-1: body ${seq}`,
        at: expect.any(String),
      });
    }
    expect(await client.nextJson()).toEqual({ type: 'ready', lastSeq: 5, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });
    expect(await sendAndEcho(client, 'm6', 'live')).toMatchObject({ seq: 6, id: 'm6' });
  });

  it('?after=0 replays everything; ?after=<lastSeq> replays nothing', async () => {
    const { token } = await register(t.server, 'dur-1');
    await seed('dur-1', token, 2);
    const all = await openJson('dur-1', token, 0);
    expect((await all.nextJson()).seq).toBe(1);
    expect((await all.nextJson()).seq).toBe(2);
    expect(await all.nextJson()).toEqual({ type: 'ready', lastSeq: 2, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });

    const none = await openJson('dur-1', token, 2);
    expect(await none.nextJson()).toEqual({ type: 'ready', lastSeq: 2, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });
  });

  describe('?after= beyond the last seq (a cursor ahead of the log, e.g. the ID was deleted and registered again)', () => {
    it('ready reports the real lastSeq', async () => {
      const { token } = await register(t.server, 'dur-1');
      await seed('dur-1', token, 2);
      const client = await openJson('dur-1', token, 99);
      expect(await client.nextJson()).toEqual({ type: 'ready', lastSeq: 2, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });
    });

    it('the client still gets the echo of its own new message', async () => {
      const { token } = await register(t.server, 'dur-1');
      await seed('dur-1', token, 2);
      const client = await openJson('dur-1', token, 99);
      expect(await client.nextJson()).toMatchObject({ type: 'ready' });
      const watcher = await openJson('dur-1', token);
      expect(await watcher.nextJson()).toEqual({ type: 'ready', lastSeq: 2, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });

      client.send({ type: 'send', id: 'm3', text: 'ahead' });
      // Once the watcher has the echo, the fan-out is done; an error frame
      // requested now is queued behind the client's echo, if it got one.
      expect(await watcher.nextJson()).toMatchObject({ type: 'echo', seq: 3, id: 'm3' });
      client.send('{barrier');
      expect(await client.nextJson()).toMatchObject({ type: 'echo', seq: 3, id: 'm3' });
    });
  });

  it('a resent client id returns the original echo and stores one row', async () => {
    const { token } = await register(t.server, 'dur-1');
    const client = await openJson('dur-1', token);
    expect(await client.nextJson()).toMatchObject({ type: 'ready' });
    const first = await sendAndEcho(client, 'dup', 'once');
    const resent = await sendAndEcho(client, 'dup', 'once');
    expect(resent).toEqual(first);
    expect(await sendAndEcho(client, 'next', 'after dup')).toMatchObject({ seq: 2 });

    // Resent in the same group commit as the original.
    client.send({ type: 'send', id: 'burst', text: 'x' });
    client.send({ type: 'send', id: 'burst', text: 'x' });
    const [a, b] = [await client.nextJson<EchoFrame>(), await client.nextJson<EchoFrame>()];
    expect([a.seq, b.seq]).toEqual([3, 3]);

    expect(await storedCount(t.server, 'dur-1')).toBe(3);
    expect((await history(t.server, 'dur-1', token)).messages.map((m) => m.id)).toEqual(['dup', 'next', 'burst']);
  });

  it('closes a binary frame with 1003 and stores nothing', async () => {
    const { token } = await register(t.server, 'dur-1');
    const client = await t.connect('dur-1', { token });
    client.ws.send(Buffer.from('binary'));
    expect((await client.closed).code).toBe(1003);
    expect(await storedCount(t.server, 'dur-1')).toBe(0);
  });
});

describe('message size limit', () => {
  const t = useTestServer({ maxMessageBytes: 1024 });

  it('echoes a message of exactly maxMessageBytes', async () => {
    const { token } = await register(t.server, 'big-1');
    const client = await t.connect('big-1', { token });
    client.send('x'.repeat(1024));
    expect(await client.next()).toBe(`big-1: ${'x'.repeat(1024)}`);
  });

  it.each([false, true])('closes a larger message with 1009 and stores nothing (JSON mode: %s)', async (json) => {
    const { token } = await register(t.server, 'big-1');
    const client = await t.connect('big-1', { token, json });
    client.send(json ? { type: 'send', id: 'big', text: 'x'.repeat(1100) } : 'x'.repeat(1025));
    expect(await client.closed).toEqual({ code: 1009, reason: 'message_too_large: messages are at most 1024 bytes; not stored' });
    expect(await storedCount(t.server, 'big-1')).toBe(0);
  });

  it('every frame ws refuses closes with the code and a reason naming it (1007, 1002, fragment flood 1008)', async () => {
    const { token } = await register(t.server, 'refused');
    const cases: Array<[string, Buffer[], number, RegExp]> = [
      ['invalid UTF-8', [buildFrame({ opcode: Op.text, payload: Buffer.from([0x68, 0xc3, 0x28]) })], 1007, /^invalid_utf8: /],
      ['RSV2 set', [buildFrame({ opcode: Op.text, payload: 'x', rsv: RSV2 })], 1002, /^protocol_violation: /],
      ['unmasked', [buildFrame({ opcode: Op.text, payload: 'x', mask: false })], 1002, /^protocol_violation: /],
      [
        'more fragments than WS_MAX_FRAGMENTS',
        [buildFrame({ opcode: Op.text, payload: 'a', fin: false }), ...Array.from({ length: 200 }, () => buildFrame({ opcode: Op.continuation, payload: 'a', fin: false }))],
        1008,
        /^message_too_fragmented: /,
      ],
    ];
    for (const [name, frames, code, reason] of cases) {
      const raw = await RawWs.open({ host: '127.0.0.1', port: t.server.wsPort, path: '/ws/refused', headers: { authorization: `Bearer ${token}` } });
      raw.socket.write(Buffer.concat(frames));
      const closed = await raw.closed();
      expect([closed?.code, closed?.reason], name).toEqual([code, expect.stringMatching(reason)]);
    }
    expect(await storedCount(t.server, 'refused')).toBe(0);
  });
});
