import type { Socket } from 'node:net';
import { expect, it } from 'vitest';
import type { EchoFrame, ReadyFrame } from '../../protocol/wire.js';
import { register, useTestServer } from './harness.js';

const TOTAL = 100_000;
// Big enough that the whole replay (~40 MB) cannot hide in the kernel's socket buffers.
const BODY = 'r'.repeat(300);

const t = useTestServer();

it('replays 100,000 messages in order, with backpressure, merging live ones without gap or duplicate', async () => {
  const { token } = await register(t.server, 'big');
  const session = (await t.server.store.sessions.findById('big'))!;
  for (let done = 0; done < TOTAL; done += 10_000) {
    await t.server.store.messages.append(Array.from({ length: 10_000 }, () => ({ sessionPk: session.pk, clientId: null, body: BODY })));
  }

  const reader = await t.connect('big', { token, json: true, query: { after: '0' } });
  const socket = (reader.ws as unknown as { _socket: Socket })._socket;
  socket.pause(); // a slow reader

  // The server holds back: it is mid-replay with a bounded buffer, not the whole history.
  const connection = () => t.server.diagnostics.connections('big')[0]!;
  await expect.poll(() => connection().replaying && connection().bufferedAmount > 0, { timeout: 10_000 }).toBe(true);
  expect(connection().cursor).toBeLessThan(TOTAL);
  expect(connection().bufferedAmount).toBeLessThan(2 * 1024 * 1024);

  // Live messages committed during the replay come after it, in order.
  const writer = await t.connect('big', { token, json: true });
  expect(await writer.nextJson<ReadyFrame>()).toEqual({ type: 'ready', lastSeq: TOTAL, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });
  for (const id of ['live-1', 'live-2']) {
    writer.send({ type: 'send', id, text: id });
    expect(await writer.nextJson<EchoFrame>()).toMatchObject({ id });
  }

  socket.resume();
  for (let seq = 1; seq <= TOTAL; seq++) {
    const frame = await reader.nextJson<EchoFrame>();
    if (frame.seq !== seq || frame.text !== `big: ${BODY}`) expect(frame).toMatchObject({ type: 'echo', seq, text: `big: ${BODY}` });
  }
  expect(await reader.nextJson<EchoFrame>()).toMatchObject({ type: 'echo', seq: TOTAL + 1, id: 'live-1' });
  expect(await reader.nextJson<EchoFrame>()).toMatchObject({ type: 'echo', seq: TOTAL + 2, id: 'live-2' });
  expect(await reader.nextJson()).toEqual({ type: 'ready', lastSeq: TOTAL + 2, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });

  // After ready, live echoes keep coming exactly once.
  writer.send({ type: 'send', id: 'live-3', text: 'live-3' });
  expect(await reader.nextJson<EchoFrame>()).toMatchObject({ type: 'echo', seq: TOTAL + 3, id: 'live-3' });
});
