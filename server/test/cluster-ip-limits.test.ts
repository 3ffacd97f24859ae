/**
 * Per-IP limits that must hold across a cluster (issue 14): registrations
 * (REGISTER_RATE_LIMIT) and failed authentications (AUTH_FAILURE_LIMIT)
 * count in the shared store, PostgreSQL (BUS=postgres) or Redis (BUS=redis),
 * so attempts split over two nodes add up. While the shared store fails,
 * each node counts in its own memory: the limit still holds per node, the
 * node stays up, and /metrics counts the fallbacks (limits/insured.ts).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, startNode, type ClusterNode } from './cluster-fixture.js';
import { postgresUrl } from './pg-fixture.js';
import { requestFrom, type Answer } from './request-from.js';
import { admin, createDatabase } from './services/postgres.js';
import { startRedis, type PrivateRedis } from './services/redis.js';

const REGISTRATIONS = 4;
const AUTH_FAILURES = 3;

/** A registration attempt from client IP `from` on `node` (GET /stream?id=). */
const registerFrom = (node: ClusterNode, from: string, id: string) => requestFrom(from, `${node.httpUrl}/stream?id=${id}`);

/** An authenticated request from `from` with a token that is wrong (a failure) or right. */
const readFrom = (node: ClusterNode, from: string, sessionId: string, token: string) =>
  requestFrom(from, `${node.httpUrl}/api/sessions/${sessionId}/messages`, { headers: { authorization: `Bearer ${token}` } });

function expectRefused(answer: Answer, code: string): void {
  expect(answer.status).toBe(429);
  expect(JSON.parse(answer.body)).toMatchObject({ error: { code, message: expect.any(String) } });
  expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
}

/** Two nodes on a new database with the limits on; closed and dropped by the returned function. */
async function twoNodes(bus: 'postgres' | 'redis', redisUrl: string) {
  const database = await createDatabase(postgresUrl());
  const settings = { databaseUrl: database.url, bus, redisUrl, registerRateLimit: REGISTRATIONS, authFailureLimit: AUTH_FAILURES } as const;
  const [a, b] = await Promise.all([startNode({ ...settings, nodeId: `${bus}-a` }), startNode({ ...settings, nodeId: `${bus}-b` })]);
  return {
    a: a!,
    b: b!,
    database,
    async close() {
      await Promise.all([a!.close(), b!.close()]);
      await database.drop();
    },
  };
}

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
}, 60_000);
afterAll(() => redis?.stop());

describe.each([
  ['postgres', '127.0.1'],
  ['redis', '127.0.2'],
] as const)('per-IP limits across two nodes, BUS=%s', (bus, net) => {
  let cluster: Awaited<ReturnType<typeof twoNodes>>;
  beforeAll(async () => {
    cluster = await twoNodes(bus, redis.url);
  }, 60_000);
  afterAll(() => cluster?.close(), 60_000);

  it('refuses registrations over the limit when the attempts are split across both nodes', async () => {
    const { a, b } = cluster;
    const from = `${net}.1`;
    // Alternating nodes: each node alone saw only half of the limit.
    for (let i = 0; i < REGISTRATIONS; i++) expect((await registerFrom(i % 2 ? b : a, from, `reg-${bus}-${i}`)).status).toBe(201);
    expectRefused(await registerFrom(a, from, `reg-${bus}-over-a`), 'too_many_registrations');
    expectRefused(await registerFrom(b, from, `reg-${bus}-over-b`), 'too_many_registrations');
    // Another IP is not affected, on either node.
    expect((await registerFrom(b, `${net}.2`, `reg-${bus}-other`)).status).toBe(201);
    expect(metricValue(await a.metrics(), 'wss_ip_limit_fallbacks_total')).toBe(0);
  });

  it('trips the failed-authentication throttle on failures spread across both nodes, even for the right token', async () => {
    const { a, b } = cluster;
    const owner = await registerFrom(a, `${net}.3`, `vault-${bus}`);
    const { token } = JSON.parse(owner.body) as { token: string };
    const from = `${net}.4`;
    for (let i = 0; i < AUTH_FAILURES; i++) expect((await readFrom(i % 2 ? b : a, from, `vault-${bus}`, `wrong-${i}`)).status).toBe(401);
    // Node b saw one failure of the three, node a two: both refuse now.
    expectRefused(await readFrom(b, from, `vault-${bus}`, token), 'too_many_auth_failures');
    expectRefused(await readFrom(a, from, `vault-${bus}`, token), 'too_many_auth_failures');
    // The WebSocket upgrade of either node too.
    const upgrade = await requestFrom(from, `${b.wsUrl}/ws/vault-${bus}`, { upgrade: true, headers: { authorization: `Bearer ${token}` } });
    expect(upgrade.status).toBe(429);
    expect((await readFrom(b, `${net}.5`, `vault-${bus}`, token)).status).toBe(200);
  });

  it('lets many attempts with the right token at once through, far past the limit, and still refuses the guesses after them', async () => {
    const { a } = cluster;
    const owner = await registerFrom(a, `${net}.9`, `crowd-${bus}`);
    const { token } = JSON.parse(owner.body) as { token: string };
    const from = `${net}.10`;
    // Ten times the limit at once from one IP (tabs, a NAT, a load test): counted while they run, none is a failure.
    const answers = await Promise.all(Array.from({ length: 10 * AUTH_FAILURES }, () => readFrom(a, from, `crowd-${bus}`, token)));
    expect(answers.filter((answer) => answer.status !== 200).map((answer) => answer.body)).toEqual([]);
    for (let i = 0; i < AUTH_FAILURES; i++) expect((await readFrom(a, from, `crowd-${bus}`, `wrong-${i}`)).status).toBe(401);
    expectRefused(await readFrom(a, from, `crowd-${bus}`, token), 'too_many_auth_failures');
  });

  it('lets no more guesses through than the limit when they arrive all at once on both nodes', async () => {
    const { a, b } = cluster;
    const owner = await registerFrom(a, `${net}.6`, `burst-${bus}`);
    const { token } = JSON.parse(owner.body) as { token: string };
    const from = `${net}.7`;
    // All in flight together: a limit read before each attempt let every one of them pass.
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => readFrom(i % 2 ? b : a, from, `burst-${bus}`, `wrong-${i}`)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(AUTH_FAILURES);
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    // A success gives its point back: the owner, from an IP with failures under the limit, keeps working.
    const owned = `${net}.8`;
    expect((await readFrom(a, owned, `burst-${bus}`, 'wrong')).status).toBe(401);
    for (let i = 0; i < AUTH_FAILURES + 2; i++) expect((await readFrom(i % 2 ? b : a, owned, `burst-${bus}`, token)).status).toBe(200);
  });
});

it('BUS=postgres: while the shared counters fail (their table gone), each node counts in memory; once back, across nodes again', async () => {
  const cluster = await twoNodes('postgres', redis.url);
  try {
    const { a, b, database } = cluster;
    await admin(database.url, 'ALTER TABLE ip_limits RENAME TO ip_limits_away');
    const from = '127.0.3.1';
    // Each node holds the limit by itself: REGISTRATIONS on a, then refused on a; b has its own memory.
    for (let i = 0; i < REGISTRATIONS; i++) expect((await registerFrom(a, from, `down-a-${i}`)).status).toBe(201);
    expectRefused(await registerFrom(a, from, 'down-a-over'), 'too_many_registrations');
    expect((await registerFrom(b, from, 'down-b-0')).status).toBe(201);
    expect(metricValue(await a.metrics(), 'wss_ip_limit_fallbacks_total')).toBeGreaterThanOrEqual(REGISTRATIONS + 1);
    expect((await fetch(`${a.httpUrl}/readyz`)).status).toBe(200);

    await admin(database.url, 'ALTER TABLE ip_limits_away RENAME TO ip_limits');
    const again = '127.0.3.2';
    for (let i = 0; i < REGISTRATIONS; i++) expect((await registerFrom(i % 2 ? b : a, again, `back-${i}`)).status).toBe(201);
    expectRefused(await registerFrom(b, again, 'back-over'), 'too_many_registrations');
  } finally {
    await cluster.close();
  }
}, 60_000);

it('BUS=postgres: a shared counter that does not answer in time (its table locked) is answered from memory, without waiting for the lock', async () => {
  const cluster = await twoNodes('postgres', redis.url);
  const locker = new pg.Client({ connectionString: cluster.database.url });
  await locker.connect();
  try {
    const { a } = cluster;
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE ip_limits IN ACCESS EXCLUSIVE MODE');
    // The limits wait 1 s at most, then count in memory.
    const owner = await registerFrom(a, '127.0.3.3', 'locked-0');
    expect(owner.status).toBe(201);
    expect(metricValue(await a.metrics(), 'wss_ip_limit_fallbacks_total')).toBeGreaterThanOrEqual(1);
    // A burst of authenticated requests, each reading the locked table: the queries left behind must
    // not hold the connections the store needs (its appends, the readiness probe).
    const { token } = JSON.parse(owner.body) as { token: string };
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => readFrom(a, `127.0.3.${10 + (i % 20)}`, 'locked-0', token)));
    expect(burst.map((answer) => answer.status)).toEqual(burst.map(() => 200));
    expect((await fetch(`${a.httpUrl}/readyz`)).status).toBe(200);
    const registered = await registerFrom(a, '127.0.3.40', 'locked-1');
    expect(registered.status).toBe(201);
  } finally {
    await locker.query('ROLLBACK').catch(() => undefined);
    await locker.end();
    await cluster.close();
  }
}, 60_000);

it('BUS=redis: while Redis is down, each node counts in memory and stays up', async () => {
  const ownRedis = await startRedis();
  let stopped = false;
  const cluster = await twoNodes('redis', ownRedis.url);
  try {
    const { a, b } = cluster;
    await ownRedis.stop();
    stopped = true;
    const from = '127.0.3.4';
    for (let i = 0; i < REGISTRATIONS; i++) expect((await registerFrom(a, from, `nored-a-${i}`)).status).toBe(201);
    expectRefused(await registerFrom(a, from, 'nored-a-over'), 'too_many_registrations');
    expect((await registerFrom(b, from, 'nored-b-0')).status).toBe(201);
    expect(metricValue(await a.metrics(), 'wss_ip_limit_fallbacks_total')).toBeGreaterThanOrEqual(REGISTRATIONS + 1);
    expect((await fetch(`${b.httpUrl}/healthz`)).status).toBe(200);
  } finally {
    await cluster.close();
    if (!stopped) await ownRedis.stop();
  }
}, 60_000);
