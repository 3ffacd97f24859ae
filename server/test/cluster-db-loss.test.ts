/**
 * A node that loses PostgreSQL says so and recovers by itself (issue 14,
 * point 6): with the database down, /readyz is 503, a send is answered
 * with storage_unavailable (never an echo) and the node stays up; once the
 * database is back, readiness, sends and the bus return with no restart of
 * the node; /metrics shows the bus down and back.
 * The database is a private server of this file's own, halted by its PID.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { metricValue, startNode, type ClusterNode } from './cluster-fixture.js';
import { register } from './harness.js';
import { createDatabase, startPostgres, type PrivatePostgres } from './services/postgres.js';

let postgres: PrivatePostgres;
let node: ClusterNode;

beforeAll(async () => {
  postgres = await startPostgres();
  const database = await createDatabase(postgres.url);
  node = await startNode({ databaseUrl: database.url, nodeId: 'lonely' });
}, 120_000);
afterAll(async () => {
  await node?.close();
  await postgres?.stop();
}, 60_000);

it('answers storage_unavailable and 503 on /readyz while PostgreSQL is down, and recovers when it is back', async () => {
  const s = await register(node, 'outage');
  const client = await node.connect('outage', s.token);
  expect(await client.nextJson()).toMatchObject({ type: 'ready' });
  client.send({ type: 'send', id: 'before', text: 'before' });
  expect(await client.nextJson()).toMatchObject({ type: 'echo', id: 'before', seq: 1 });

  const restart = await postgres.halt();
  try {
    expect((await fetch(`${node.httpUrl}/readyz`)).status).toBe(503);
    client.send({ type: 'send', id: 'during', text: 'during' });
    expect(await client.nextJson()).toMatchObject({ type: 'error', code: 'storage_unavailable', id: 'during' });
    const registering = await fetch(`${node.httpUrl}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":"while-down"}' });
    expect(registering.status).toBe(503);
    expect(((await registering.json()) as { error: { code: string } }).error.code).toBe('storage_unavailable');
    // The bus went with it, and /metrics says so (rendered at most once a second: awaited, not timed).
    await vi.waitFor(async () => expect(metricValue(await node.metrics(), 'wss_bus_connected')).toBe(0), { timeout: 20_000, interval: 200 });
  } finally {
    await restart();
  }

  await vi.waitFor(async () => expect((await fetch(`${node.httpUrl}/readyz`)).status).toBe(200), { timeout: 20_000, interval: 200 });
  client.send({ type: 'send', id: 'during', text: 'during' }); // the client's resend
  expect(await client.nextJson()).toMatchObject({ type: 'echo', id: 'during', seq: 2 });
  await vi.waitFor(async () => expect(metricValue(await node.metrics(), 'wss_bus_connected')).toBe(1), { timeout: 20_000, interval: 200 });
  expect(metricValue(await node.metrics(), 'wss_bus_resyncs_total')).toBeGreaterThanOrEqual(1);
  client.ws.terminate();
});
