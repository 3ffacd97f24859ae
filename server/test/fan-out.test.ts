import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { EchoFrame, ReadyFrame } from '../../protocol/wire.js';
import type { AppendResult } from '../domain/model.js';
import { register, useTestServer, type TestClient, type TestServer } from './harness.js';

/** Appends straight to the store, behind the bus's back: no event goes out. */
async function appendQuietly(server: TestServer, sessionId: string, bodies: string[]): Promise<AppendResult[]> {
  const { pk } = (await server.store.sessions.findById(sessionId))!;
  return (await server.store.messages.append(bodies.map((body) => ({ sessionPk: pk, clientId: null, body })))) as AppendResult[];
}

/** Publishes a `committed` event for `messages` as a node would: with their bodies, or as a hint (the range alone). */
async function publish(server: TestServer, sessionId: string, messages: AppendResult[], bodies = true): Promise<void> {
  const { pk } = (await server.store.sessions.findById(sessionId))!;
  server.bus.publish({
    type: 'committed',
    sessionPk: pk,
    sessionId,
    fromSeq: messages[0]!.seq,
    toSeq: messages.at(-1)!.seq,
    ...(bodies ? { messages } : {}),
  });
}

/** Every frame up to and including the echo with seq `last`. */
async function framesUntil(client: TestClient, last: number): Promise<EchoFrame[]> {
  const frames: EchoFrame[] = [];
  for (;;) {
    const frame = await client.nextJson<EchoFrame>();
    frames.push(frame);
    if (frame.seq === last) return frames;
  }
}

describe('fan-out by cursor', () => {
  const t = useTestServer();

  it('delivers an event only when it continues the cursor: lost, reordered, repeated events and hints leave no gap and no duplicate', async () => {
    const { token } = await register(t.server, 'fan');
    const client = await t.connect('fan', { token, json: true });
    expect(await client.nextJson()).toMatchObject({ type: 'ready', lastSeq: 0 });

    // 1..3 are stored but only 3's event arrives (1 and 2 were lost): the gap is read from the store.
    const [m1, m2, m3] = await appendQuietly(t.server, 'fan', ['one', 'two', 'three']);
    await publish(t.server, 'fan', [m3!]);
    // 1..2 late (reordered), 3 again (repeated): nothing new.
    await publish(t.server, 'fan', [m1!, m2!]);
    await publish(t.server, 'fan', [m3!]);
    // 5's event before 4's.
    const [m4, m5] = await appendQuietly(t.server, 'fan', ['four', 'five']);
    await publish(t.server, 'fan', [m5!]);
    await publish(t.server, 'fan', [m4!]);
    // A hint without bodies, as a cross-node bus carries: read from the store.
    const [m6] = await appendQuietly(t.server, 'fan', ['six']);
    await publish(t.server, 'fan', [m6!], false);
    // A hint of a seq the store does not have: nothing to send, and the connection stays live.
    await publish(t.server, 'fan', [{ ...m6!, seq: 100 }], false);
    client.send({ type: 'send', id: 'seven', text: 'seven' });

    const frames = await framesUntil(client, 7);
    expect(frames.map((f) => [f.type, f.seq, f.text])).toEqual(
      ['one', 'two', 'three', 'four', 'five', 'six', 'seven'].map((body, i) => ['echo', i + 1, `fan: ${body}`]),
    );
    client.send({ type: 'send', id: 'eight', text: 'eight' });
    expect(await client.nextJson()).toMatchObject({ type: 'echo', seq: 8, id: 'eight' });
  });

  it('delivers an event that continues the cursor from its own bodies, in the same turn, without reading the store', async () => {
    const { token } = await register(t.server, 'sync');
    const client = await t.connect('sync', { token, json: true });
    expect(await client.nextJson()).toMatchObject({ type: 'ready', lastSeq: 0 });
    const [stored] = await appendQuietly(t.server, 'sync', ['as stored']);
    // The bodies of an in-process event are the committed rows; a different body here shows which one was sent.
    await publish(t.server, 'sync', [{ ...stored!, body: 'as published' }]);
    expect(await client.nextJson()).toMatchObject({ seq: 1, text: 'sync: as published' });
  });

  it('a text-mode connection hears only its own echoes, never the bus', async () => {
    const { token } = await register(t.server, 'quiet');
    const text = await t.connect('quiet', { token });
    const [stored] = await appendQuietly(t.server, 'quiet', ['not for text mode']);
    await publish(t.server, 'quiet', [stored!]);
    text.send('mine');
    expect(await text.next()).toBe('quiet: mine');
  });
});

describe('a commit heard of while the store is read', () => {
  const t = useTestServer();

  it('is read too: the loop goes on until a short read with nothing newer heard of during it', async () => {
    const { token } = await register(t.server, 'race');
    // One chunk (fewer rows than the loop asks for) too big to leave without backpressure.
    await appendQuietly(t.server, 'race', Array.from({ length: 200 }, (_, i) => `${i + 1}`.padEnd(60_000, 'r')));
    const reader = await t.connect('race', { token, json: true, query: { after: '0' } });
    const socket = (reader.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const connection = () => t.server.diagnostics.connections('race')[0]!;
    // The replay has read its one, short chunk and waits for the reader to take it.
    await expect.poll(() => connection().replaying && connection().bufferedAmount > 0, { timeout: 10_000 }).toBe(true);
    expect(connection().cursor).toBeLessThan(200);

    const writer = await t.connect('race', { token, json: true });
    expect(await writer.nextJson<ReadyFrame>()).toMatchObject({ type: 'ready', lastSeq: 200 });
    writer.send({ type: 'send', id: 'live', text: 'committed during the last read' });
    expect(await writer.nextJson()).toMatchObject({ type: 'echo', seq: 201, id: 'live' });

    socket.resume();
    const frames = await framesUntil(reader, 201);
    expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
    expect(await reader.nextJson()).toMatchObject({ type: 'ready', lastSeq: 201 });
  });
});
