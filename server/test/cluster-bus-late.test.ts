/**
 * A bus that is down when the nodes start (issue 14, point 6): the nodes
 * start anyway, say wss_bus_connected 0 in /metrics, keep every connection
 * correct by the heal timer, and connect by themselves (then resync, and
 * learn each other's presence by its refresh) once the bus is there: BUS=redis with Redis started after the nodes, and
 * BUS=postgres with the LISTEN connection refused at start (a connection
 * limit on the nodes' role) and allowed later.
 */
import { afterAll, expect, it, vi } from 'vitest';
import { SUBPROTOCOL, type EchoFrame, type PresenceFrame, type ReadyFrame } from '../../protocol/wire.js';
import { metricValue, startNode, type ClusterNode } from './cluster-fixture.js';
import { register, TestClient } from './harness.js';
import { postgresUrl } from './pg-fixture.js';
import { admin, createDatabase } from './services/postgres.js';
import { freePort } from './services/process.js';
import { startRedis, type PrivateRedis } from './services/redis.js';

const HEAL_INTERVAL_MS = 200;
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

/** /metrics of `node` until `name` reads `value` (rendered at most once a second: awaited, not timed). */
const metricReaches = (node: ClusterNode, name: string, check: (value: number) => boolean) =>
  vi.waitFor(async () => expect(check(metricValue(await node.metrics(), name))).toBe(true), { timeout: 20_000, interval: 200 });

async function nextEcho(client: TestClient): Promise<EchoFrame> {
  for (;;) {
    const frame = await client.nextJson<EchoFrame>();
    if (frame.type === 'echo') return frame;
  }
}

it('BUS=redis with Redis down at start: the nodes start, heal meanwhile, and connect and resync when Redis comes up', async () => {
  const database = await createDatabase(postgresUrl());
  cleanups.push(() => database.drop());
  const port = await freePort();
  const settings = { databaseUrl: database.url, bus: 'redis', redisUrl: `redis://127.0.0.1:${port}`, healIntervalMs: HEAL_INTERVAL_MS } as const;
  const [a, b] = await Promise.all([startNode({ ...settings, nodeId: 'late-a' }), startNode({ ...settings, nodeId: 'late-b' })]);
  cleanups.push(() => Promise.all([a.close(), b.close()]));
  for (const node of [a, b]) expect(metricValue(await node.metrics(), 'wss_bus_connected')).toBe(0);

  // Correct without the bus: what a client on a sends reaches the observer on b by the heal timer.
  const s = await register(a, 'late-redis');
  const sender = await a.connect(s.id, s.token);
  const observer = await b.connect(s.id, s.token);
  for (const c of [sender, observer]) expect(await c.nextJson()).toMatchObject({ type: 'ready' });
  sender.send({ type: 'send', id: 'm1', text: 'no bus yet' });
  expect(await nextEcho(observer)).toMatchObject({ seq: 1, id: 'm1' });
  await metricReaches(b, 'wss_heals_total', (v) => v >= 1);
  // Presence without a bus: b counts its own connections only.
  const counter = new TestClient(`${b.wsUrl}/ws/${s.id}`, { protocol: SUBPROTOCOL, token: s.token, presence: true });
  expect(await counter.nextJson<ReadyFrame>()).toMatchObject({ type: 'ready', presence: 2 });

  const redis: PrivateRedis = await startRedis(port);
  cleanups.push(() => redis.stop());
  for (const node of [a, b]) {
    await metricReaches(node, 'wss_bus_connected', (v) => v === 1);
    await metricReaches(node, 'wss_bus_resyncs_total', (v) => v >= 1);
  }
  // No connection came or went, yet b learns of a's (its refresh: ws/presence.ts).
  expect(await counter.nextJson<PresenceFrame>()).toEqual({ type: 'presence', count: 3 });
  // Over the bus now: b hears a's hint.
  sender.send({ type: 'send', id: 'm2', text: 'bus up' });
  expect(await nextEcho(observer)).toMatchObject({ seq: 2, id: 'm2' });
  await metricReaches(b, 'wss_bus_hints_received_total', (v) => v >= 1);
  for (const c of [sender, observer, counter]) c.ws.terminate();
}, 60_000);

it('BUS=postgres with the LISTEN connection refused at start: the node starts disconnected and connects once it is allowed', async () => {
  // A role limited to one connection: the store's pool takes it at start (migrations), so LISTEN is refused.
  const role = `late_${process.pid}_${Date.now().toString(36)}`;
  await admin(postgresUrl(), `CREATE ROLE ${role} LOGIN CONNECTION LIMIT 1`);
  const database = await createDatabase(postgresUrl());
  const dbName = new URL(database.url).pathname.slice(1);
  await admin(postgresUrl(), `ALTER DATABASE ${dbName} OWNER TO ${role}`);
  cleanups.push(async () => {
    await database.drop();
    await admin(postgresUrl(), `DROP ROLE IF EXISTS ${role}`);
  });
  const url = new URL(database.url);
  url.username = role;
  const node = await startNode({ databaseUrl: url.toString(), bus: 'postgres', nodeId: 'late-pg', healIntervalMs: HEAL_INTERVAL_MS });
  cleanups.push(() => node.close());
  expect(metricValue(await node.metrics(), 'wss_bus_connected')).toBe(0);
  expect((await fetch(`${node.httpUrl}/readyz`)).status).toBe(200);

  await admin(postgresUrl(), `ALTER ROLE ${role} CONNECTION LIMIT -1`);
  await metricReaches(node, 'wss_bus_connected', (v) => v === 1);
  await metricReaches(node, 'wss_bus_resyncs_total', (v) => v >= 1);
}, 60_000);
