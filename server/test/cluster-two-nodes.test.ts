/**
 * Two nodes on one PostgreSQL database, no proxy (issue 14, point 2), with
 * each bus between them: JSON clients on both send interleaved and every
 * client sees seqs 1..N of the session contiguously, in order, once; a
 * resend of a client id on the other node is answered with the original
 * seq; a delete on one node closes the sockets on the other with 4001.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EchoFrame, RegisteredSession } from '../../protocol/wire.js';
import { startNode, metricValue, type ClusterNode } from './cluster-fixture.js';
import { register, type TestClient } from './harness.js';
import { postgresUrl } from './pg-fixture.js';
import { admin, createDatabase } from './services/postgres.js';
import { startRedis, type PrivateRedis } from './services/redis.js';

/** Echo frames until the one with seq `last` (ready and other frames skipped). */
async function echoesUntil(client: TestClient, last: number): Promise<EchoFrame[]> {
  const echoes: EchoFrame[] = [];
  while (echoes.at(-1)?.seq !== last) {
    const frame = await client.nextJson<EchoFrame>();
    if (frame.type === 'echo') echoes.push(frame);
  }
  return echoes;
}

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
}, 60_000);
afterAll(() => redis.stop());

describe.each(['postgres', 'redis'] as const)('two nodes on one database, BUS=%s', (bus) => {
  let database: { url: string; drop(): Promise<void> };
  let a: ClusterNode;
  let b: ClusterNode;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    database = await createDatabase(postgresUrl());
    const settings = { databaseUrl: database.url, bus, redisUrl: redis.url } as const;
    // Started together: migrations run once, under the advisory lock.
    [a, b] = await Promise.all([startNode({ ...settings, nodeId: 'a' }), startNode({ ...settings, nodeId: 'b' })]);
  }, 60_000);
  afterEach(() => {
    for (const c of clients.splice(0)) c.ws.terminate();
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await database?.drop();
  }, 60_000);

  const connect = async (node: ClusterNode, s: RegisteredSession) => {
    const client = await node.connect(s.id, s.token);
    clients.push(client);
    expect(await client.nextJson()).toMatchObject({ type: 'ready', lastSeq: 0 });
    return client;
  };

  it('clients on both nodes, sending interleaved, each see seqs 1..N once, in order; a resend on the other node gets the original seq', async () => {
    const s = await register(a, `two-${bus}`);
    const [a1, a2, b1, b2] = [await connect(a, s), await connect(a, s), await connect(b, s), await connect(b, s)];
    const perWriter = 25;
    for (let i = 0; i < perWriter; i++) {
      a1.send({ type: 'send', id: `a${i}`, text: `from a ${i}` });
      b1.send({ type: 'send', id: `b${i}`, text: `from b ${i}` });
    }
    const n = 2 * perWriter;
    for (const client of [a1, a2, b1, b2]) {
      const echoes = await echoesUntil(client, n);
      expect(echoes.map((e) => e.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(new Set(echoes.map((e) => e.id)).size).toBe(n);
    }
    // Each writer's own messages kept their order.
    const history = (await (await fetch(`${a.httpUrl}/api/sessions/${s.id}/messages?limit=500`, { headers: { authorization: `Bearer ${s.token}` } })).json()) as {
      messages: Array<{ seq: number; id: string }>;
    };
    const order = (prefix: string) => history.messages.filter((m) => m.id.startsWith(prefix)).map((m) => Number(m.id.slice(1)));
    expect(order('a')).toEqual(Array.from({ length: perWriter }, (_, i) => i));
    expect(order('b')).toEqual(Array.from({ length: perWriter }, (_, i) => i));
    const original = history.messages.find((m) => m.id === 'a0')!;

    // a0 was acknowledged on node a; resent on node b, it is answered with its original seq and not stored again.
    b2.send({ type: 'send', id: 'a0', text: 'from a 0' });
    let answer: EchoFrame;
    do answer = await b2.nextJson<EchoFrame>();
    while (answer.type !== 'echo' || answer.id !== 'a0');
    expect(answer.seq).toBe(original.seq);
    const after = await fetch(`${b.httpUrl}/api/sessions/${s.id}`, { headers: { authorization: `Bearer ${s.token}` } });
    expect(((await after.json()) as { lastSeq: number }).lastSeq).toBe(n);

    // Node b heard node a's commits over the bus (hints), and says so.
    const metrics = await b.metrics();
    expect(metricValue(metrics, 'wss_bus_connected')).toBe(1);
    expect(metricValue(metrics, 'wss_bus_hints_received_total')).toBeGreaterThan(0);
  });

  it('messages sent on one node reach the other\'s connections sealed, without a read of the store', async () => {
    const s = await register(a, `sealed-${bus}`);
    const onB = await connect(b, s);
    const onA = await connect(a, s);
    const opened = metricValue(await b.metrics(), 'wss_bus_bodies_opened_total') ?? 0;
    // One at a time: each commit continues the cursor of b's connection, which takes its messages as they came.
    for (let i = 1; i <= 3; i++) {
      onA.send(JSON.stringify({ type: 'send', id: `s${i}`, text: `m${i}` }));
      expect((await echoesUntil(onB, i)).at(-1)).toMatchObject({ seq: i, text: `${s.id}: m${i}` });
    }
    // Sealed under the key both nodes read from the database (bus_key). /metrics is rendered at most once a second.
    await expect.poll(async () => metricValue(await b.metrics(), 'wss_bus_bodies_opened_total'), { timeout: 5000, interval: 200 }).toBe(opened + 3);
    expect(metricValue(await b.metrics(), 'wss_bus_bodies_rejected_total')).toBe(0);
  });

  it('a delete on one node closes the session\'s sockets on the other with 4001', async () => {
    const s = await register(a, `del-${bus}`);
    const [onB1, onB2] = [await connect(b, s), await connect(b, s)];
    const res = await fetch(`${a.httpUrl}/api/sessions/${s.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${s.token}` } });
    expect(res.status).toBe(204);
    for (const client of [onB1, onB2]) expect(await client.closed).toMatchObject({ code: 4001 });
  });

  it('a forged delete on the bus closes nothing: the store still has the session', async () => {
    const s = await register(a, `forged-${bus}`);
    const onB = await connect(b, s);
    const { rows } = await admin(database.url, 'SELECT pk FROM sessions WHERE id = $1', [s.id]);
    const forged = JSON.stringify({ n: 'forger', i: 'f'.repeat(32), e: { type: 'deleted', sessionPk: Number(rows[0].pk), sessionId: s.id } });
    const heard = metricValue(await b.metrics(), 'wss_bus_events_rejected_total') ?? 0;
    if (bus === 'postgres') await admin(database.url, "SELECT pg_notify('wss_bus', $1)", [forged]);
    else await redis.command('PUBLISH', 'wss_bus', forged);
    // Untagged, it is not even taken from the wire (nodes with the cluster key take deletes only tagged under it).
    await expect.poll(async () => metricValue(await b.metrics(), 'wss_bus_events_rejected_total'), { timeout: 10_000, interval: 100 }).toBeGreaterThan(heard);
    // Still served: a message sent on node a reaches it, and the socket is open.
    const onA = await connect(a, s);
    onA.send(JSON.stringify({ type: 'send', id: 'after-forgery', text: 'still here' }));
    expect((await echoesUntil(onB, 1)).map((e) => e.text)).toEqual([`${s.id}: still here`]);
    expect(onB.ws.readyState).toBe(onB.ws.OPEN);
  });

  it('a node that cannot read the cluster key starts all the same and gets every message by reading the store', async () => {
    await admin(database.url, 'DELETE FROM bus_key');
    const c = await startNode({ databaseUrl: database.url, bus, redisUrl: redis.url, nodeId: 'c' });
    try {
      const s = await register(a, `nokey-${bus}`);
      const [onA, onC] = [await connect(a, s), await connect(c, s)];
      for (let i = 1; i <= 5; i++) onA.send(JSON.stringify({ type: 'send', id: `k${i}`, text: `m${i}` }));
      expect((await echoesUntil(onC, 5)).map((e) => [e.seq, e.text])).toEqual([1, 2, 3, 4, 5].map((n) => [n, `${s.id}: m${n}`]));
      const metrics = await c.metrics();
      expect(metricValue(metrics, 'wss_bus_hints_received_total')).toBeGreaterThan(0);
      expect(metricValue(metrics, 'wss_bus_bodies_opened_total')).toBe(0);
      // Without the key it takes untagged deletes from the wire, and a forged one closes nothing: the store still has the session.
      const { rows } = await admin(database.url, 'SELECT pk FROM sessions WHERE id = $1', [s.id]);
      const forged = JSON.stringify({ n: 'forger', i: 'f'.repeat(32), e: { type: 'deleted', sessionPk: Number(rows[0].pk), sessionId: s.id } });
      if (bus === 'postgres') await admin(database.url, "SELECT pg_notify('wss_bus', $1)", [forged]);
      else await redis.command('PUBLISH', 'wss_bus', forged);
      // The wire keeps one order: c hears the forgery before the hint of k6 and of k7; the store answers meanwhile
      // (it has the session), so the socket takes both, and is open after them.
      for (const n of [6, 7]) {
        onA.send(JSON.stringify({ type: 'send', id: `k${n}`, text: `m${n}` }));
        expect((await echoesUntil(onC, n)).map((e) => e.text)).toEqual([`${s.id}: m${n}`]);
      }
      expect(onC.ws.readyState).toBe(onC.ws.OPEN);
    } finally {
      await c.close();
    }
  });
});
