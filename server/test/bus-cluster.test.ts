/**
 * The cross-node buses: the bus contract against PostgreSQL LISTEN/NOTIFY and
 * Redis pub/sub, each node with its own connection; then what they add: a
 * hint carries no bodies, a node skips its own events coming back, and a
 * killed bus connection (pg_terminate_backend of the LISTEN backend, CLIENT
 * KILL TYPE pubsub) comes back by itself and says so (the resync).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeBusContract, type BusFactory } from '../bus/contract.js';
import type { ClusterBus } from '../bus/cluster.js';
import { listenerName, openPostgresBus } from '../bus/postgres.js';
import { Redis } from 'ioredis';
import pg from 'pg';
import { openRedisBus } from '../bus/redis.js';
import type { BusEvent } from '../domain/ports.js';
import { createLogger } from '../logger.js';
import { postgresUrl } from './pg-fixture.js';
import { admin, createDatabase } from './services/postgres.js';
import { startRedis, type PrivateRedis } from './services/redis.js';

const logger = createLogger({ level: 'silent', format: 'json' });
let counter = 0;

/** A factory whose every node() is a new connection of `open` under a node ID of its own. */
function clusterFactory(open: (nodeId: string) => Promise<ClusterBus>, hooks: Pick<BusFactory, 'setup' | 'teardown'>): BusFactory {
  return {
    ...hooks,
    async open() {
      const nodes: ClusterBus[] = [];
      return {
        async node() {
          const bus = await open(`n${counter++}`);
          nodes.push(bus);
          return bus;
        },
        close: async () => {
          await Promise.all(nodes.map((n) => n.close()));
        },
      };
    },
  };
}

let pgDatabase: { url: string; drop(): Promise<void> };
const pgHooks = {
  async setup() {
    pgDatabase = await createDatabase(postgresUrl());
  },
  async teardown() {
    await pgDatabase.drop();
  },
};
const openPg = (nodeId: string, key?: Buffer) => openPostgresBus(pgDatabase.url, { nodeId, logger, livenessMs: 1000, key });

let redis: PrivateRedis;
const redisHooks = {
  async setup() {
    redis = await startRedis();
  },
  async teardown() {
    await redis.stop();
  },
};
const openRedis = (nodeId: string, key?: Buffer) => openRedisBus(redis.url, { nodeId, logger, key });

const clusterKey = randomBytes(32);
describeBusContract('PostgreSQL LISTEN/NOTIFY', clusterFactory((id) => openPg(id, clusterKey), pgHooks));
describeBusContract('Redis pub/sub', clusterFactory((id) => openRedis(id, clusterKey), redisHooks));

const committed = (seq: number): BusEvent => ({
  type: 'committed',
  sessionPk: 1,
  sessionId: 's1',
  fromSeq: seq,
  toSeq: seq,
  messages: [{ seq, clientId: null, body: 'x'.repeat(10_000), at: 1 }],
});

/** A committed event as a connection would take it: its sealed messages opened (what ws/hub.ts does), the opener left out. */
function opened(event: BusEvent): BusEvent {
  if (event.type !== 'committed' || !event.unseal) return event;
  const { unseal, ...rest } = event;
  return { ...rest, messages: unseal() };
}

/** Records what a bus hands its subscribers. */
function record(bus: ClusterBus): BusEvent[] {
  const events: BusEvent[] = [];
  bus.subscribe((e) => events.push(e));
  return events;
}

describe('redis bus subscriptions', () => {
  beforeAll(redisHooks.setup, 60_000);
  afterAll(redisHooks.teardown, 60_000);

  it('subscribes once per connection, at start and after a reconnect, and hands each message over once', async () => {
    const channel = `wss_once_${counter++}`;
    // MONITOR sees every command in the order Redis runs it.
    const monitorClient = new Redis(redis.url);
    const monitor = await monitorClient.monitor();
    const subscribes: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'subscribe') subscribes.push(args.slice(1).join(' '));
      else if (args[0]?.toLowerCase() === 'echo') subscribes.push(`echo ${args[1]}`);
    });
    const bus = await openRedisBus(redis.url, { nodeId: `s${counter++}`, logger, channel });
    try {
      const events = record(bus);
      let reconnects = 0;
      bus.onReconnect(() => reconnects++);
      await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await vi.waitFor(() => expect(reconnects).toBe(1), { timeout: 20_000 });

      // Another node's hints, straight on the channel: the second arrives after the first and any copy of it.
      const hint = (sessionPk: number) => JSON.stringify({ n: 'other', e: { type: 'deleted', sessionPk, sessionId: `s${sessionPk}` } });
      await redis.command('PUBLISH', channel, hint(1));
      await redis.command('PUBLISH', channel, hint(2));
      const sessionPks = () => events.map((e) => ('sessionPk' in e ? e.sessionPk : null));
      await vi.waitFor(() => expect(sessionPks()).toContain(2), { timeout: 10_000 });
      expect(sessionPks()).toEqual([1, 2]);

      // Every command before this ECHO reached the monitor before it.
      await redis.command('ECHO', 'sentinel');
      await vi.waitFor(() => expect(subscribes.at(-1)).toBe('echo sentinel'), { timeout: 10_000 });
      expect(subscribes.slice(0, -1)).toEqual([channel, channel]);
    } finally {
      await bus.close();
      monitor.disconnect();
      monitorClient.disconnect();
    }
  });

  it('ignores a payload larger than any it sends (a flood of envelopes in one PUBLISH), and goes on', async () => {
    const channel = `wss_big_${counter++}`;
    const bus = await openRedisBus(redis.url, { nodeId: `s${counter++}`, logger, channel });
    try {
      const events = record(bus);
      const hint = (seq: number) => ({ n: 'other', i: 'y', e: { type: 'committed', sessionPk: 9, sessionId: 's9', fromSeq: seq, toSeq: seq } });
      await redis.command('PUBLISH', channel, JSON.stringify(Array.from({ length: 2000 }, (_, k) => hint(k + 1))));
      await redis.command('PUBLISH', channel, JSON.stringify(hint(5000)));
      await vi.waitFor(() => expect(events).toHaveLength(1), { timeout: 10_000 });
      expect(events[0]).toMatchObject({ fromSeq: 5000 });
      expect(bus.stats().hintsReceived).toBe(1);
    } finally {
      await bus.close();
    }
  });
});

describe('postgres bus NOTIFYs', () => {
  beforeAll(pgHooks.setup, 60_000);
  afterAll(pgHooks.teardown, 60_000);

  it('puts the hints published in one turn into few NOTIFYs (under 8000 bytes each), and every node gets each hint once, in order', async () => {
    const channel = `wss_batch_${counter++}`;
    // A plain LISTEN client counts the NOTIFYs on the wire.
    const listener = new pg.Client({ connectionString: pgDatabase.url });
    await listener.connect();
    const payloads: string[] = [];
    listener.on('notification', (msg) => payloads.push(msg.payload ?? ''));
    await listener.query(`LISTEN ${channel}`);
    const [a, b] = [
      await openPostgresBus(pgDatabase.url, { nodeId: `c${counter++}`, logger, channel }),
      await openPostgresBus(pgDatabase.url, { nodeId: `c${counter++}`, logger, channel }),
    ];
    try {
      const onB = record(b);
      // 300 hints of about 100 bytes: more than one NOTIFY can carry.
      for (let seq = 1; seq <= 300; seq++) a.publish(committed(seq));
      await vi.waitFor(() => expect(onB).toHaveLength(300), { timeout: 10_000 });
      expect(onB.map((e) => (e.type === 'committed' ? e.fromSeq : 0))).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      await vi.waitFor(() => expect(payloads.reduce((n, p) => n + (p.startsWith('[') ? JSON.parse(p).length : 1), 0)).toBe(300), { timeout: 10_000 });
      expect(payloads.length).toBeGreaterThan(1);
      expect(payloads.length).toBeLessThan(30);
      for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(8000);
      expect(b.stats().hintsReceived).toBe(300);
    } finally {
      await Promise.all([a.close(), b.close(), listener.end()]);
    }
  });
});

describe('events from the wire', () => {
  beforeAll(pgHooks.setup, 60_000);
  afterAll(pgHooks.teardown, 60_000);

  /** Two buses under one key on a channel of their own, and a plain client of the database on it that records every payload. */
  async function keyedPairAndForger(prefix: string) {
    const key = randomBytes(32);
    const channel = `${prefix}_${counter++}`;
    const [a, b] = [
      await openPostgresBus(pgDatabase.url, { nodeId: `w${counter++}`, logger, channel, key }),
      await openPostgresBus(pgDatabase.url, { nodeId: `w${counter++}`, logger, channel, key }),
    ];
    // Any role that can connect may LISTEN and NOTIFY: here, a plain client.
    const forger = new pg.Client({ connectionString: pgDatabase.url });
    const captured: string[] = [];
    forger.on('notification', (msg) => captured.push(msg.payload ?? ''));
    await forger.connect();
    await forger.query(`LISTEN ${channel}`);
    return { a, b, forger, captured, channel, close: () => Promise.all([a.close(), b.close(), forger.end()]) };
  }

  it('hands on hints alone: bodies a payload carries are dropped, and known kinds of another shape are ignored', async () => {
    const channel = `wss_wire_${counter++}`;
    const bus = await openPostgresBus(pgDatabase.url, { nodeId: `w${counter++}`, logger, channel });
    // Any role that can connect may NOTIFY: here, a plain client.
    const forger = new pg.Client({ connectionString: pgDatabase.url });
    await forger.connect();
    try {
      const events = record(bus);
      const envelope = (e: unknown) => JSON.stringify({ n: 'forger', i: 'x', e });
      const hint = { type: 'committed', sessionPk: 7, sessionId: 's7', fromSeq: 3, toSeq: 3 };
      const payloads = [
        envelope({ ...hint, messages: [{ seq: 3, clientId: null, body: 'FORGED', at: 1 }] }),
        envelope({ ...hint, fromSeq: 5, toSeq: 4 }),
        envelope({ ...hint, sessionPk: '7' }),
        envelope({ ...hint, sessionId: 'not a valid id' }),
        envelope({ type: 'revoked', sessionPk: 7, sessionId: 's7', tokenHash: 'zz' }),
        envelope({ type: 'unheard-of', sessionPk: 7 }), // a later version's kind: on as it came
        JSON.stringify([envelope({ type: 'deleted', sessionPk: 7, sessionId: 's7' })].map((p) => JSON.parse(p))),
      ];
      for (const payload of payloads) await forger.query('SELECT pg_notify($1, $2)', [channel, payload]);
      await vi.waitFor(() => expect(events).toHaveLength(3), { timeout: 10_000 });
      expect(events).toEqual([hint, { type: 'unheard-of', sessionPk: 7 }, { type: 'deleted', sessionPk: 7, sessionId: 's7' }]);
      expect('messages' in events[0]!).toBe(false);
    } finally {
      await Promise.all([bus.close(), forger.end()]);
    }
  });
  it('takes at most 256 envelopes from one payload', async () => {
    const channel = `wss_many_${counter++}`;
    const bus = await openPostgresBus(pgDatabase.url, { nodeId: `w${counter++}`, logger, channel });
    const forger = new pg.Client({ connectionString: pgDatabase.url });
    await forger.connect();
    try {
      const events = record(bus);
      const many = JSON.stringify(Array.from({ length: 300 }, () => ({ e: { type: 'z' } })));
      expect(Buffer.byteLength(many)).toBeLessThan(8000);
      await forger.query('SELECT pg_notify($1, $2)', [channel, many]);
      await forger.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify({ n: 'other', i: 'y', e: { type: 'deleted', sessionPk: 7, sessionId: 's7' } })]);
      await vi.waitFor(() => expect(events.at(-1)).toMatchObject({ type: 'deleted' }), { timeout: 10_000 });
      expect(events).toHaveLength(257);
    } finally {
      await Promise.all([bus.close(), forger.end()]);
    }
  });

  it('hands on a sealed payload moved to another range, session or sender as a hint alone, and counts it', async () => {
    const { a, b, forger, captured, channel, close } = await keyedPairAndForger('wss_seal');
    try {
      const events = record(b);
      a.publish({ type: 'committed', sessionPk: 7, sessionId: 's7', fromSeq: 3, toSeq: 3, messages: [{ seq: 3, clientId: null, body: 'real', at: 1 }] });
      await vi.waitFor(() => expect(captured).toHaveLength(1), { timeout: 10_000 });
      await vi.waitFor(() => expect(events).toHaveLength(1), { timeout: 10_000 });
      const genuine = JSON.parse(captured[0]!) as { n: string; i: string; e: Record<string, unknown>; x: string };
      const moved = [
        { ...genuine, e: { ...genuine.e, fromSeq: 4, toSeq: 4 } },
        { ...genuine, e: { ...genuine.e, sessionPk: 8 } },
        { ...genuine, e: { ...genuine.e, sessionId: 's8' } },
        { ...genuine, i: randomBytes(16).toString('hex') },
        { ...genuine, x: Buffer.from('{"seq":3}').toString('base64') },
      ];
      for (const payload of moved) await forger.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify(payload)]);
      await vi.waitFor(() => expect(events).toHaveLength(1 + moved.length), { timeout: 10_000 });
      expect(opened(events[0]!)).toMatchObject({ fromSeq: 3, messages: [{ seq: 3, body: 'real' }] });
      for (const event of events.slice(1)) expect((opened(event) as { messages?: unknown }).messages).toBeUndefined();
      expect(b.stats()).toMatchObject({ bodiesOpened: 1, bodiesRejected: moved.length });
    } finally {
      await close();
    }
  });

  it('takes deletes, revocations and presence only with a valid tag under the key: forged, altered, moved, untagged or replayed ones are ignored, and counted', async () => {
    const { a, b, forger, captured, channel, close } = await keyedPairAndForger('wss_tag');
    try {
      const events = record(b);
      const presence = { type: 'presence', sessionPk: 7, sessionId: 's7', node: 'real', count: 2 } as const;
      a.publish(presence);
      await vi.waitFor(() => expect(captured).toHaveLength(1), { timeout: 10_000 });
      await vi.waitFor(() => expect(events).toEqual([presence]), { timeout: 10_000 });
      const genuine = JSON.parse(captured[0]!) as { n: string; i: string; e: Record<string, unknown>; t: string };
      const envelope = (e: unknown) => ({ n: 'forger', i: randomBytes(16).toString('hex'), e });
      const forged = [
        { ...genuine, e: { ...genuine.e, count: 900 } },
        { ...genuine, e: { ...genuine.e, sessionPk: 8 } },
        { ...genuine, i: randomBytes(16).toString('hex') },
        { ...genuine, t: undefined },
        { ...genuine, e: { type: 'deleted', sessionPk: 7, sessionId: 's7' } },
        envelope({ type: 'revoked', sessionPk: 7, sessionId: 's7', tokenHash: 'ab'.repeat(32) }),
        envelope({ type: 'presence-refresh', node: 'forger', counts: [[7, 50]] }),
        genuine, // a replay, alone and in a batch
        [genuine, genuine],
      ];
      for (const payload of forged) await forger.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify(payload)]);
      // A's next event after them: the wire keeps one order, so every forgery was heard before it.
      const next = { ...presence, count: 0 };
      a.publish(next);
      await vi.waitFor(() => expect(events).toHaveLength(2), { timeout: 10_000 });
      expect(events).toEqual([presence, next]);
      expect(b.stats().eventsRejected).toBe(forged.length + 1);
    } finally {
      await close();
    }
  });
});

const kills = {
  postgres: (nodeId: string) =>
    admin(postgresUrl(), 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [listenerName(nodeId)]),
  redis: () => redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub'),
};

/** Every payload on the default channel, as any client of the database or of Redis may see it. */
const taps = {
  async postgres(): Promise<{ payloads: string[]; close(): Promise<void> }> {
    const client = new pg.Client({ connectionString: pgDatabase.url });
    const payloads: string[] = [];
    client.on('notification', (msg) => payloads.push(msg.payload ?? ''));
    await client.connect();
    await client.query('LISTEN wss_bus');
    return { payloads, close: () => client.end() };
  },
  async redis(): Promise<{ payloads: string[]; close(): Promise<void> }> {
    const client = new Redis(redis.url);
    const payloads: string[] = [];
    client.on('message', (_channel: string, payload: string) => payloads.push(payload));
    await client.subscribe('wss_bus');
    return { payloads, close: async () => void client.disconnect() };
  },
};

for (const [name, open, hooks, sealedLimit] of [
  ['postgres', openPg, pgHooks, 3900],
  ['redis', openRedis, redisHooks, 65_536],
] as const) {
  describe(`${name} bus between nodes`, () => {
    beforeAll(hooks.setup, 60_000);
    afterAll(hooks.teardown, 60_000);

    it('carries hints without bodies (a 10 KB body is past a NOTIFY payload), skips its own events from the wire, and counts hints', async () => {
      const [a, b] = [await open(`h${counter++}`), await open(`h${counter++}`)];
      try {
        const onA = record(a);
        const onB = record(b);
        a.publish(committed(1));
        expect(onA).toEqual([committed(1)]); // locally at once, bodies and all
        await vi.waitFor(() => expect(onB).toHaveLength(1), { timeout: 10_000 });
        expect(onB[0]).toEqual({ ...committed(1), messages: undefined });
        expect('messages' in onB[0]!).toBe(false);
        b.publish({ type: 'deleted', sessionPk: 1, sessionId: 's1' });
        await vi.waitFor(() => expect(onA).toHaveLength(2), { timeout: 10_000 });
        // The wire keeps one order for everyone: once B has A's next hint, its own came back before it.
        a.publish(committed(2));
        await vi.waitFor(() => expect(onB).toHaveLength(3), { timeout: 10_000 });
        expect(onB.map((e) => e.type)).toEqual(['committed', 'deleted', 'committed']); // its own once: not again from the wire
        expect(a.stats()).toMatchObject({ connected: true, hintsReceived: 1 });
        expect(b.stats()).toMatchObject({ connected: true, hintsReceived: 2 });
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('carries a hint\'s messages sealed when they fit: opened by a node with the key, unreadable on the wire, a hint alone for a node without it', async () => {
      const key = randomBytes(32);
      const [a, b, stranger] = [await open(`s${counter++}`, key), await open(`s${counter++}`, key), await open(`s${counter++}`, randomBytes(32))];
      const tap = await taps[name]();
      try {
        const [onB, onStranger] = [record(b), record(stranger)];
        const small: BusEvent = {
          type: 'committed',
          sessionPk: 1,
          sessionId: 's1',
          fromSeq: 4,
          toSeq: 5,
          messages: [
            { seq: 4, clientId: 'c-4', body: 'a quiet SECRET-PHRASE \u0000 ✓', at: 11 },
            { seq: 5, clientId: null, body: 'second', at: 11 },
          ],
        };
        a.publish(small);
        await vi.waitFor(() => expect(onB).toHaveLength(1), { timeout: 10_000 });
        await vi.waitFor(() => expect(onStranger).toHaveLength(1), { timeout: 10_000 });
        // Nothing is opened until a connection wants the messages (ws/hub.ts): a forged payload costs no more than a hint.
        expect(b.stats()).toMatchObject({ bodiesOpened: 0, bodiesRejected: 0 });
        expect(stranger.stats()).toMatchObject({ bodiesOpened: 0, bodiesRejected: 0 });
        expect(opened(onB[0]!)).toEqual(small);
        expect(opened(onB[0]!)).toEqual(small); // opened once, the same answer again
        expect(opened(onStranger[0]!)).toEqual({ ...small, messages: undefined });
        expect(b.stats()).toMatchObject({ bodiesOpened: 1, bodiesRejected: 0 });
        expect(stranger.stats()).toMatchObject({ bodiesOpened: 0, bodiesRejected: 1 });
        await vi.waitFor(() => expect(tap.payloads).toHaveLength(1), { timeout: 10_000 });
        expect(tap.payloads[0]).not.toMatch(/SECRET-PHRASE|second/);
        expect(JSON.parse(tap.payloads[0]!).x).toEqual(expect.any(String));

        // Past the transport's limit the hint goes alone, and the receiver reads the store.
        const big: BusEvent = { ...small, fromSeq: 6, toSeq: 6, messages: [{ seq: 6, clientId: null, body: 'y'.repeat(sealedLimit + 1), at: 12 }] };
        a.publish(big);
        await vi.waitFor(() => expect(onB).toHaveLength(2), { timeout: 10_000 });
        expect(onB[1]).toEqual({ ...big, messages: undefined });
        expect('unseal' in onB[1]!).toBe(false);
        expect(JSON.parse(tap.payloads[1]!).x).toBeUndefined();
        expect(b.stats()).toMatchObject({ bodiesOpened: 1, bodiesRejected: 0 });
      } finally {
        await Promise.all([a.close(), b.close(), stranger.close(), tap.close()]);
      }
    });

    it('comes back by itself after its connection is killed, tells the node to resync, and carries hints again', async () => {
      const nodeId = `k${counter++}`;
      const [a, b] = [await open(`h${counter++}`), await open(nodeId)];
      try {
        const onB = record(b);
        let reconnects = 0;
        b.onReconnect(() => reconnects++);
        await kills[name](nodeId);
        await vi.waitFor(() => expect(reconnects).toBe(1), { timeout: 20_000 });
        expect(b.stats().connected).toBe(true);
        a.publish(committed(2));
        await vi.waitFor(() => expect(onB).toHaveLength(1), { timeout: 10_000 });
        expect(onB[0]).toMatchObject({ type: 'committed', fromSeq: 2, toSeq: 2 });
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
}
