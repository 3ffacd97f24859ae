/**
 * The cluster test (issue 14, point 3): a private PostgreSQL (and Redis for
 * --bus redis), three built nodes behind HAProxy (deploy/haproxy.cfg as
 * shipped), writers and observers on every node, a seeded fault loop (node
 * SIGKILL + restart, bus connections killed), the quiet-tail case; then
 * every guarantee is checked against the database and what each connection
 * received. Exits non-zero on any violation.
 *
 *   npm run test:cluster -- --bus redis --seed 42
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RegisteredSession } from '../../protocol/wire.js';
import { metricValue } from '../../server/test/metric-value.js';
import { createDatabase, startPostgres } from '../../server/test/services/postgres.js';
import { startRedis } from '../../server/test/services/redis.js';
import type { CrashClient } from '../crash/client.js';
import { deferred, delay, seededRandom, within, type Deferred } from '../crash/timing.js';
import { checkHistory, type Check, type Row } from '../crash/verify.js';
import { postgresBusFaults, redisBusFaults, type BusFaults } from './bus-faults.js';
import { catchUpCheck } from './catch-up.js';
import { faultLoop, type FaultCounts } from './faults.js';
import { startProxy } from './haproxy.js';
import { CrossNodeLatency } from './latency.js';
import { clientFactory, loadClients } from './load.js';
import { Nodes, type ClusterNode } from './nodes.js';
import { CLUSTER_USAGE, DEFAULT_OPTIONS, HEAL_OFF_MS, parseClusterArgs, type ClusterOptions } from './options.js';
import { quietTail, type QuietTailResult } from './quiet-tail.js';
import { formatReport, type ClusterReport } from './report.js';
import { lastSeqs, storedRows } from './store-rows.js';
import { waitUntil } from './wait.js';

export { formatReport, type ClusterReport } from './report.js';
export { DEFAULT_OPTIONS, SHORT_OPTIONS, type ClusterOptions } from './options.js';

const MAIN = resolve(import.meta.dirname, '../../dist/server/main.js');
const NODES = 3;
/** Time kept after the load's deadline for SIGTERM, the checks and cleanup. */
const RESERVE_MS = 10_000;

export async function runCluster(overrides: Partial<ClusterOptions> = {}): Promise<ClusterReport> {
  const options: ClusterOptions = { ...DEFAULT_OPTIONS, ...overrides };
  if (!options.seed) options.seed = Math.floor(Math.random() * 2 ** 31) + 1;
  const { log, healIntervalMs } = options;
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test and npm run test:cluster do)`);
  log(`seed ${options.seed} (replay with --seed ${options.seed}), bus ${options.bus}`);
  const started = Date.now();
  const hardDeadline = started + options.deadlineMs;
  const loadDeadline = hardDeadline - RESERVE_MS;
  const failures: string[] = [];
  const cleanup: Array<() => Promise<unknown>> = [];
  const clients: CrashClient[] = [];
  const latency = new CrossNodeLatency();
  const counters = { healed: 0, resyncs: 0 };
  let faults: FaultCounts = { nodeKills: 0, restarts: 0, busKills: 0, busConnectionsKilled: 0 };
  let quiet: QuietTailResult | null = null;
  let catchUp: Check | null = null;
  let exits: ClusterReport['exits'] = [];
  let rows: Row[] = [];

  const metricsOf = async (node: ClusterNode) => (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
  /** Adds a node's heal and resync counters (read before it dies, and at the end). */
  const scrape = async (node: ClusterNode) => {
    const text = await metricsOf(node);
    counters.healed += metricValue(text, 'wss_heals_total');
    counters.resyncs += metricValue(text, 'wss_bus_resyncs_total');
  };
  const heals = async (node: ClusterNode) => metricValue(await metricsOf(node), 'wss_heals_total');

  try {
    const postgres = await startPostgres();
    cleanup.push(() => postgres.stop());
    const database = await createDatabase(postgres.url);
    cleanup.push(async () => (rows = await storedRows(database.url)));
    let busFaults: BusFaults;
    const env: Record<string, string> = {
      DATABASE_URL: database.url,
      BUS: options.bus,
      HEAL_INTERVAL_MS: String(options.heal ? healIntervalMs : HEAL_OFF_MS),
      TRUST_PROXY: '1',
      // The load comes from one address as fast as a window allows: per-IP and per-connection limits lifted.
      WS_RATE_LIMIT: '0',
      WS_IP_BYTES_PER_SECOND: '0',
      REGISTER_RATE_LIMIT: '0',
      AUTH_FAILURE_LIMIT: '0',
      MAX_CONNECTIONS_PER_SESSION: '64',
      MAX_CONNECTIONS_PER_IP: '100000',
      MAX_SOCKETS_PER_IP: '0',
      MAX_SESSION_BYTES: '0',
    };
    if (options.bus === 'redis') {
      const redis = await startRedis();
      cleanup.push(() => redis.stop());
      env.REDIS_URL = redis.url;
      busFaults = await redisBusFaults(redis.url);
    } else {
      busFaults = await postgresBusFaults(postgres.url);
    }
    cleanup.push(() => busFaults.close());
    const nodes = await Nodes.start(NODES, env, loadDeadline);
    cleanup.push(() => nodes.stopAll());
    const proxy = await startProxy(nodes.list, loadDeadline);
    cleanup.push(() => proxy.stop());
    log(`${NODES} nodes (${nodes.list.map((n) => `${n.id} :${n.httpPort}/:${n.wsPort}`).join(', ')}) behind HAProxy ${proxy.httpUrl} ${proxy.wsUrl}`);

    const register = (id: string) => registerSession(proxy.httpUrl, id, loadDeadline);
    const sessions: RegisteredSession[] = [];
    for (let i = 0; i < options.sessions; i++) sessions.push(await register(`cluster-${options.seed}-s${i}`));
    let progress: Deferred<void> = deferred();
    const make = clientFactory(loadDeadline, { window: options.window, sendIntervalMs: options.sendIntervalMs }, latency, () => progress.resolve());
    const proxyEndpoint = { name: 'proxy', wsBase: proxy.wsUrl, up: () => Promise.resolve() };
    const { writers, observers } = loadClients(sessions, nodes.list, proxyEndpoint, make, options.maxMessagesPerWriter);
    clients.push(...writers, ...observers);
    // Rejects as soon as a client gives up reconnecting; it never resolves.
    const gaveUp = Promise.race(clients.map((c) => c.drained.then(() => new Promise<never>(() => undefined))));
    gaveUp.catch(() => undefined);
    for (const client of clients) client.start();

    faults = await Promise.race([
      faultLoop(
        { nodes, bus: busFaults, random: seededRandom(options.seed), nextAck: () => (progress = deferred()).promise, beforeKill: scrape, log },
        options.faults,
        { min: options.minIntervalMs, max: options.maxIntervalMs },
        loadDeadline,
      ),
      gaveUp,
    ]);
    for (const node of nodes.list) {
      await waitUntil(() => fetch(`http://127.0.0.1:${node.httpPort}/readyz`).then((r) => r.ok, () => false), loadDeadline, `${node.id} ready`);
    }
    // Load without faults for a while: the cross-node latency of a cluster that works (under the run's full load).
    latency.steady();
    await delay(Math.min(options.steadyMs, loadDeadline - Date.now()));
    quiet = await quietTail({ nodes: nodes.list, faults: busFaults, register, make, clients, heals, healIntervalMs, deadline: loadDeadline, log });
    log(`quiet tail: ${quiet.ok ? 'ok' : 'FAILED'}: ${quiet.detail}`);

    for (const writer of writers) writer.stopProducing();
    await within(Promise.all(writers.map((w) => w.drained)), loadDeadline, 'every message to be acknowledged');
    catchUp = await catchUpCheck(clients, await lastSeqs(database.url), healIntervalMs);
    for (const node of nodes.running) await scrape(node);

    for (const client of clients) client.finish();
    exits = await nodes.terminateAll(hardDeadline);
    for (const exit of exits) if (exit.code !== 0) failures.push(`SIGTERM: ${exit.id} exited with ${exit.code ?? exit.signal}, not 0`);
    await within(Promise.all(clients.map((c) => c.waitClosed())), hardDeadline, 'client sockets to close');
  } catch (err) {
    failures.push((err as Error).message);
  } finally {
    for (const client of clients) client.terminate();
    for (const step of cleanup.reverse()) {
      await step().catch((err: unknown) => failures.push(`cleanup: ${(err as Error).message}`));
    }
  }

  const verification = checkHistory(rows, 'ok', [...new Set(clients.map((c) => c.sessionId))], clients);
  const checks: Check[] = [
    ...verification.checks.filter((c) => c.name !== 'integrity check'),
    catchUp ?? { name: 'every open observer reached last_seq within two heal intervals', ok: false, detail: 'not reached' },
    { name: 'quiet tail healed within two heal intervals', ok: quiet?.ok ?? false, detail: quiet?.detail ?? 'not reached' },
    {
      name: 'every node exited 0 on SIGTERM',
      ok: exits.length === NODES && exits.every((e) => e.code === 0),
      detail: exits.map((e) => `${e.id} ${e.code ?? e.signal}`).join(', ') || 'not reached',
    },
  ];
  for (const c of checks) if (!c.ok) failures.push(`check failed: ${c.name}`);
  if (verification.lost > 0) failures.push(`${verification.lost} acknowledged message(s) lost`);
  if (verification.duplicated > 0) failures.push(`${verification.duplicated} message(s) stored twice`);
  if (faults.nodeKills + faults.busKills !== options.faults) failures.push(`${faults.nodeKills + faults.busKills} of ${options.faults} faults done`);
  const sum = (f: (c: CrashClient) => number) => clients.reduce((n, c) => n + f(c), 0);
  return {
    ok: failures.length === 0,
    bus: options.bus,
    seed: options.seed,
    heal: options.heal,
    healIntervalMs,
    sent: sum((c) => c.sent.size),
    acknowledged: sum((c) => c.acked.size),
    stored: verification.stored,
    lost: verification.lost,
    duplicated: verification.duplicated,
    healed: counters.healed,
    resyncs: counters.resyncs,
    resent: sum((c) => c.resends),
    dedupedResends: sum((c) => c.connections.reduce((m, r) => m + r.duplicateAcks, 0)),
    errorFrames: sum((c) => c.errorFrames),
    connections: sum((c) => c.connections.length),
    faults,
    quietTail: quiet,
    latency: latency.summary(),
    steadyLatency: latency.summary('steady'),
    exits,
    durationMs: Date.now() - started,
    checks,
    failures,
  };
}

/** POST /api/sessions through the proxy; a 503 (no node up at that moment: a restart, a check that failed) is tried again. */
async function registerSession(httpUrl: string, id: string, deadline: number): Promise<RegisteredSession> {
  for (;;) {
    const res = await fetch(`${httpUrl}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id }),
      signal: AbortSignal.timeout(5000),
    });
    if (res.status === 201) return (await res.json()) as RegisteredSession;
    if (res.status !== 503 || Date.now() >= deadline) throw new Error(`register ${id}: HTTP ${res.status} ${await res.text()}`);
    await res.body?.cancel();
    await delay(100);
  }
}

async function cli(): Promise<void> {
  const parsed = parseClusterArgs(process.argv.slice(2));
  if (parsed.help) {
    console.log(CLUSTER_USAGE);
    return;
  }
  const report = await runCluster({ ...parsed.options, log: (line) => console.log(line) });
  console.log(formatReport(report));
  process.exitCode = report.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  cli().then(
    () => process.stdout.write('', () => process.exit(Number(process.exitCode ?? 0))),
    (err: unknown) => {
      console.error(`cluster test: ${(err as Error).message}`);
      process.exit(2);
    },
  );
}
