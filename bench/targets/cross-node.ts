import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { SUBPROTOCOL, type ServerFrame } from '../../protocol/wire.js';
import type { BenchOptions } from '../cli.js';
import { registerSessions, type Registered } from '../lib/http.js';
import { LatencyRecorder, type LatencySummary } from '../lib/latency.js';
import { startBenchPostgres, type BenchPostgres } from '../lib/postgres.js';
import { coreBusySeconds, cpuSeconds, machineBusySeconds, quietly, sleep, taskset } from '../lib/proc.js';
import { SERVER_CORE, startBenchServer, UNLIMITED_ENV, type BenchServer } from '../lib/server-process.js';
import { startRedis, type PrivateRedis } from '../../server/test/services/redis.js';
import { median, round3 } from '../lib/stats.js';
import { messageBody } from '../load/generator.js';
import { count, heading, progress, table, target, type TargetResult } from '../report.js';

/** The rate of issue 14's target, messages/s over all senders (another rate, `--cross-node-rate`, is measured without it). */
const TARGET_RATE = 1000;
const P99_LIMIT_MS = 10;

export interface CrossNodeRun {
  rate: number;
  sent: number;
  received: number;
  msgsPerSec: number;
  /** Mean delay of a send behind its schedule (timer granularity), ms. */
  meanSendLagMs: number;
  latency: LatencySummary;
  /** Both nodes and PostgreSQL, in cores. */
  serverCpu: number;
  /** Of which the two nodes, in cores (the rest is PostgreSQL's, and Redis' with `--bus redis`). */
  nodesCpu: number;
  otherCpu: number;
  /**
   * Share of the server's core that was busy (everything on it: the nodes, PostgreSQL, the kernel's work for them);
   * null unless pinned. Near 1 the tail is queueing: a burst drains only as fast as the core is idle.
   */
  serverCoreBusy: number | null;
  errors: string[];
}

export interface CrossNodeReport {
  rate: number;
  bus: 'postgres' | 'redis';
  sessions: number;
  reps: CrossNodeRun[];
  medianP99: number;
}

interface Pair {
  sender: WebSocket;
  receiver: WebSocket;
  /** Highest seq the receiver saw: its echoes must continue it by one. */
  lastSeq: number;
}

function open(node: BenchServer, session: Registered): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${node.wsPort}/ws/${session.id}`, [SUBPROTOCOL], {
    headers: { authorization: `Bearer ${session.token}` },
    perMessageDeflate: false,
  });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', function ready(data) {
      if ((JSON.parse(data.toString()) as ServerFrame).type !== 'ready') return;
      ws.off('message', ready);
      resolve(ws);
    });
  });
}

/**
 * One measured window: a sender on node B and a receiver on node A for each
 * session, the senders paced at `rate` in all (open loop, round-robin); the
 * latency of a message is from its send on B to its echo at the receiver on A.
 */
async function measureOnce(options: BenchOptions, services: Services, rep: number, sessions: number, rate: number, cpuProfDir?: string): Promise<CrossNodeRun> {
  const { postgres, redis } = services;
  const database = await postgres.database();
  const env = { DATABASE_URL: database.url, BUS: options.crossNodeBus, ...(redis ? { REDIS_URL: redis.url } : {}), ...UNLIMITED_ENV };
  const nodes: BenchServer[] = [];
  const pairs: Pair[] = [];
  const errors: string[] = [];
  try {
    // One after the other: the first migrates the new database.
    for (const id of ['A', 'B']) nodes.push(await startBenchServer({ variant: 'a', pin: options.pin, cpuProfDir: cpuProfDir && join(cpuProfDir, `node-${id}`), env: { ...env, NODE_ID: `bench-${id}` } }));
    const [a, b] = nodes as [BenchServer, BenchServer];
    const registered = await registerSessions(a.httpPort!, Array.from({ length: sessions }, (_, i) => `x-${rep}-${i}`));
    for (const session of registered) pairs.push({ sender: await open(b, session), receiver: await open(a, session), lastSeq: 0 });

    const body = messageBody(options.bytes).toString();
    const sentAt = new Map<string, number>();
    const hist = new LatencyRecorder();
    let recording = false;
    let received = 0;
    pairs.forEach((pair, p) => {
      pair.receiver.on('message', (data) => {
        const now = performance.now();
        const frame = JSON.parse(data.toString()) as ServerFrame;
        if (frame.type !== 'echo') return;
        if (frame.seq !== pair.lastSeq + 1 && errors.length < 5) errors.push(`session ${p}: seq ${frame.seq} after ${pair.lastSeq}`);
        pair.lastSeq = frame.seq;
        const at = frame.id === null ? undefined : sentAt.get(frame.id);
        if (at === undefined) return;
        sentAt.delete(frame.id!);
        received++;
        if (recording) hist.recordMs(now - at);
      });
      pair.sender.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as ServerFrame;
        if (frame.type === 'error' && errors.length < 5) errors.push(`session ${p}: ${frame.code}`);
      });
    });

    const interval = 1000 / rate;
    const t0 = performance.now();
    let sent = 0;
    let lagMs = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      const due = Math.min(Math.floor((now - t0) / interval), sent + rate);
      for (; sent < due; sent++) {
        lagMs += now - (t0 + sent * interval);
        const id = `m${sent}`;
        sentAt.set(id, now);
        pairs[sent % pairs.length]!.sender.send(JSON.stringify({ type: 'send', id, text: body }));
      }
    }, 1);
    const nodesCpu = () => nodes.reduce((sum, n) => sum + n.cpuSeconds(), 0);
    const serverCpu = () => nodesCpu() + postgres.cpuSeconds() + (redis ? cpuSeconds(redis.pid) : 0);
    try {
      await sleep(options.warmupMs);
      const [cpu0, nodes0, busy0, core0, gen0, received0, w0] = [serverCpu(), nodesCpu(), machineBusySeconds(), coreBusySeconds(SERVER_CORE), process.cpuUsage(), received, performance.now()];
      recording = true;
      await sleep(options.durationMs);
      recording = false;
      const seconds = (performance.now() - w0) / 1000;
      const cpu = serverCpu() - cpu0;
      const nodeSeconds = nodesCpu() - nodes0;
      const gen = process.cpuUsage(gen0);
      const other = machineBusySeconds() - busy0 - cpu - (gen.user + gen.system) / 1e6;
      const coreBusy = coreBusySeconds(SERVER_CORE) - core0;
      clearInterval(tick);
      // Everything sent must arrive on the other node.
      for (let waited = 0; sentAt.size > 0 && waited < 5000; waited += 50) await sleep(50);
      if (sentAt.size > 0) errors.push(`${sentAt.size} of ${sent} messages never reached node A`);
      return {
        rate,
        sent,
        received,
        msgsPerSec: Math.round((received - received0) / seconds),
        meanSendLagMs: round3(lagMs / Math.max(1, sent)),
        latency: hist.summary(),
        serverCpu: round3(cpu / seconds),
        nodesCpu: round3(nodeSeconds / seconds),
        otherCpu: round3(Math.max(0, other) / seconds),
        serverCoreBusy: options.pin && taskset() !== null && Number.isFinite(coreBusy) ? round3(Math.min(1, coreBusy / seconds)) : null,
        errors,
      };
    } finally {
      clearInterval(tick);
    }
  } finally {
    for (const pair of pairs) for (const ws of [pair.sender, pair.receiver]) ws.terminate();
    for (const node of nodes) await node.stop();
    await database.drop();
  }
}

/** The services the nodes share: the database, and Redis with `--bus redis`. */
interface Services {
  postgres: BenchPostgres;
  redis?: PrivateRedis;
}

/** A private Redis pinned to the server's core (its CPU counts as the server's, like PostgreSQL's). */
async function startBenchRedis(pin: boolean): Promise<PrivateRedis> {
  const redis = await startRedis();
  const bin = pin ? taskset() : null;
  if (bin) execFileSync(bin, ['-a', '-p', '-c', String(SERVER_CORE), String(redis.pid)], { stdio: 'ignore' });
  return redis;
}

/**
 * Cross-node delivery latency (issue 14, point 4): two nodes of (a) on one
 * PostgreSQL database with its LISTEN/NOTIFY bus, as shipped (or Redis
 * pub/sub with `--bus redis`), pinned with the services to the server's
 * core; the generator's clients send on node B at 1,000 msg/s and receive on
 * node A. Target: p99 <= 10 ms, median of the repetitions.
 */
export async function crossNodeTarget(options: BenchOptions, profileDir?: string): Promise<{ report: CrossNodeReport; targets: TargetResult[]; problems: string[] }> {
  const rate = options.crossNodeRate;
  const sessions = options.smoke ? 2 : 10;
  heading(`cross-node delivery: sent on node B, received on node A, ${rate} msg/s over ${sessions} sessions (B=${options.bytes}, BUS=${options.crossNodeBus}), ${count(options.reps, 'repetition')}`);
  const postgres = await startBenchPostgres(options.pin);
  const redis = options.crossNodeBus === 'redis' ? await startBenchRedis(options.pin).catch(async (err: unknown) => {
    await postgres.stop();
    throw err;
  }) : undefined;
  const reps: CrossNodeRun[] = [];
  try {
    for (let rep = 0; rep < options.reps; rep++) {
      progress(`rep ${rep + 1}/${options.reps}`);
      reps.push(await quietly(() => measureOnce(options, { postgres, redis }, rep, sessions, rate, rep === 0 && profileDir ? join(profileDir, 'cross-node') : undefined)));
    }
  } finally {
    await redis?.stop();
    await postgres.stop();
  }
  console.log(
    table(
      ['rep', 'achieved msg/s', 'send lag ms', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'nodes+db CPU', 'of which nodes', 'server core busy', 'other CPU', 'errors'],
      reps.map((r, i) => [String(i + 1), r.msgsPerSec, r.meanSendLagMs, r.latency.p50, r.latency.p99, r.latency.p999, r.latency.max, r.serverCpu, r.nodesCpu, r.serverCoreBusy ?? '-', r.otherCpu, r.errors.length]),
    ),
  );
  const medianP99 = round3(median(reps.map((r) => r.latency.p99)));
  return {
    report: { rate, sessions, bus: options.crossNodeBus, reps, medianP99 },
    // A smoke run checks function at a low rate; its target line is reported, not enforced (as every smoke target).
    targets: rate === TARGET_RATE || options.smoke ? [target('cross-node-latency', `p99 from a send on node B to the echo on node A at ${rate} msg/s (BUS=${options.crossNodeBus}), median of ${count(options.reps, 'repetition')}`, medianP99, '<=', P99_LIMIT_MS, 'ms')] : [],
    problems: reps.flatMap((r, i) => r.errors.map((e) => `cross-node rep ${i + 1}: ${e}`)),
  };
}
