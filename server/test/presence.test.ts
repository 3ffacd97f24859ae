import { describe, expect, it } from 'vitest';
import { SUBPROTOCOL, type PresenceFrame, type ReadyFrame } from '../../protocol/wire.js';
import type { BusEvent, MessageBus, Store } from '../domain/ports.js';
import { startServer } from '../server.js';
import { createLogger } from '../logger.js';
import { Op, RawWs } from '../../scripts/abuse/raw-ws.js';
import { register, TestClient, useTestServer, type TestServer } from './harness.js';

type PresenceEvent = Extract<BusEvent, { type: 'presence' }>;

/** The next frame, which must be a presence frame; its count. */
async function nextPresence(client: TestClient): Promise<number> {
  const frame = await client.nextJson<PresenceFrame>();
  expect(frame.type).toBe('presence');
  return frame.count;
}

async function ready(client: TestClient): Promise<ReadyFrame> {
  const frame = await client.nextJson<ReadyFrame>();
  expect(frame.type).toBe('ready');
  return frame;
}

/** `client` joined: its ready carries `count`, and each of `others` hears that count, in turn. */
async function joined(client: TestClient, count: number, ...others: TestClient[]): Promise<TestClient> {
  expect((await ready(client)).presence).toBe(count);
  for (const other of others) expect(await nextPresence(other)).toBe(count);
  return client;
}

/** Closes `client`: each of `others` hears `count`, in turn. */
async function left(client: TestClient, count: number, ...others: TestClient[]): Promise<void> {
  client.close();
  for (const other of others) expect(await nextPresence(other)).toBe(count);
}

/** Every presence event on the bus from now on. */
function presenceEvents(bus: MessageBus): PresenceEvent[] {
  const events: PresenceEvent[] = [];
  bus.subscribe((event) => event.type === 'presence' && events.push(event));
  return events;
}

describe('presence', () => {
  const t = useTestServer();

  it('ready carries the count and every JSON connection hears each change; text-mode sockets are not counted', async () => {
    const { token } = await register(t.server, 'here');
    const json = { token, json: true, presence: true };
    const a = await joined(await t.connect('here', json), 1);
    const b = await joined(await t.connect('here', json), 2, a);

    // A text-mode socket changes nothing: the next change a hears is c's.
    const text = await t.connect('here', { token });
    const c = await joined(await t.connect('here', json), 3, a, b);

    await left(b, 2, a, c);
    text.close();
    await text.closed;
    await left(c, 1, a);

    // Another session's connections are not this one's.
    const other = await register(t.server, 'elsewhere');
    await joined(await t.connect('elsewhere', { ...json, token: other.token }), 1);
    a.send({ type: 'send', id: 'm1', text: 'still one' });
    expect(await a.nextJson()).toMatchObject({ type: 'echo', id: 'm1' });
  });

  it('a socket the server closes stops counting at once, though its peer never answers the close', async () => {
    const { token } = await register(t.server, 'closing');
    const a = await t.connect('closing', { token, json: true, presence: true });
    expect((await ready(a)).presence).toBe(1);
    const raw = await RawWs.open({
      host: '127.0.0.1',
      port: t.server.wsPort,
      path: '/ws/closing',
      headers: { authorization: `Bearer ${token}`, 'sec-websocket-protocol': SUBPROTOCOL },
    });
    expect(await nextPresence(a)).toBe(2);
    // A binary frame: the server closes with 1003; this peer never answers, so the handshake stays open.
    raw.send({ opcode: Op.binary, payload: Buffer.from('x') });
    expect(await nextPresence(a)).toBe(1);
    expect(t.server.diagnostics.connections('closing')).toHaveLength(2);
    raw.destroy();
  });

  it('sums the counts nodes publish on the bus, greets a node it did not know, and drops a node that says 0', async () => {
    const { token } = await register(t.server, 'spread');
    const events = presenceEvents(t.server.bus);
    const a = await t.connect('spread', { token, json: true, presence: true });
    expect((await ready(a)).presence).toBe(1);
    const { pk } = (await t.server.store.sessions.findById('spread'))!;
    const mine = events.at(-1)!;
    expect(mine).toMatchObject({ type: 'presence', sessionPk: pk, sessionId: 'spread', count: 1 });

    // Another node says it holds 2 connections of the session: this node answers with its own count, once.
    const other = (count: number): PresenceEvent => ({ type: 'presence', sessionPk: pk, sessionId: 'spread', node: 'node-b', count });
    const before = events.length;
    t.server.bus.publish(other(2));
    expect(await nextPresence(a)).toBe(3);
    const greetings = () => events.slice(before).filter((e) => e.node === mine.node);
    expect(greetings()).toEqual([{ ...mine, count: 1 }]);
    t.server.bus.publish(other(4));
    expect(await nextPresence(a)).toBe(5);
    expect(greetings()).toHaveLength(1); // known now: no second greeting

    t.server.bus.publish(other(0));
    expect(await nextPresence(a)).toBe(1);
    // A node of a session this node holds no connection of is not tracked.
    t.server.bus.publish({ ...other(7), sessionPk: pk + 1000, sessionId: 'nobody-here' });
    await joined(await t.connect('spread', { token, json: true, presence: true }), 2, a);
  });

  it('counts connections on two server nodes that share a bus and a store', async () => {
    const { token } = await register(t.server, 'nodes');
    const second = await startSecondNode(t.server);
    try {
      const a = await joined(await t.connect('nodes', { token, json: true, presence: true }), 1);
      const b = await joined(new TestClient(`ws://127.0.0.1:${second.wsPort}/ws/nodes`, { protocol: 'session.v1', token, presence: true }), 2, a);
      const c = await joined(await t.connect('nodes', { token, json: true, presence: true }), 3, a, b);
      await left(b, 2, a, c);
    } finally {
      await second.close();
    }
  });
});

/** A second server process's worth of server on the first one's bus and store (neither closed by it). */
async function startSecondNode(first: TestServer) {
  const shared: MessageBus = { publish: (e) => first.bus.publish(e), subscribe: (h) => first.bus.subscribe(h), close: async () => undefined };
  const store: Store = {
    ...first.store,
    retention: { ...first.store.retention, start: () => undefined, stop: async () => undefined },
    close: async () => undefined,
  };
  return startServer({ ...first.config, httpPort: 0, wsPort: 0 }, createLogger({ level: 'silent', format: 'json' }), { store, bus: shared });
}
