import { LatencyRecorder, type LatencySummary } from '../lib/latency.js';
import { round3 } from '../lib/stats.js';
import { machineBusySeconds, sleep } from '../lib/proc.js';
import { LoadConnection, newStats, type LoadStats } from './connection.js';
import { SESSION_TEXT, type Dialect } from './dialect.js';
import { upgrade } from './handshake.js';

export interface SessionCredentials {
  id: string;
  /** Sent as `Authorization: Bearer`; none for the bench's own servers. */
  token?: string;
}

export interface LoadOptions {
  port: number;
  sessions: readonly SessionCredentials[];
  /** Body size in bytes. */
  bytes: number;
  /** Messages in flight per connection (closed loop). */
  window: number;
  /** Handshakes in progress at once. */
  concurrency?: number;
  /** What the server speaks inside the frames (the session text mode unless said). */
  dialect?: Dialect;
}

export interface LoadResult {
  echoes: number;
  seconds: number;
  msgsPerSec: number;
  latency: LatencySummary;
  /** Server CPU over the window, in cores (1 = one core busy). */
  serverCpu: number;
  /** This process's CPU over the window, in cores. */
  generatorCpu: number;
  /**
   * CPU used by everything else on the machine over the window (other
   * processes, interrupts), in cores: how noisy the measurement was.
   */
  otherCpu: number;
  /** CPU of the bench's own helper processes over the window (a side load), in cores, when there are any. */
  helperCpu?: number;
  badEchoes: number;
  /** Pings of the server answered. */
  pongs: number;
  sample: string | null;
  errors: string[];
}

/**
 * A body of exactly `bytes` ASCII bytes that reads like a chat message (words
 * and spaces), so work that depends on the text, like full-text indexing,
 * costs what real messages cost.
 */
export function messageBody(bytes: number): Buffer {
  const sentence = 'the quick brown fox jumps over the lazy dog 0123456789 ';
  return Buffer.from(sentence.repeat(Math.ceil(bytes / sentence.length) + 1).slice(0, bytes));
}

/**
 * What makes a run's figures meaningless: no echo in the window, an echo not
 * exactly as it must be, a connection error; and, when the server was told to
 * ping often (`expectPongs`, the smoke run), no ping answered.
 */
export function runProblems(label: string, run: LoadResult, expectPongs = false): string[] {
  const problems: string[] = [];
  if (run.echoes <= 0) problems.push(`${label}: no echoes in the window`);
  if (run.badEchoes > 0) problems.push(`${label}: ${run.badEchoes} echoes not exactly as sent`);
  if (expectPongs && run.pongs === 0) problems.push(`${label}: no ping of the server answered`);
  for (const e of run.errors) problems.push(`${label}: ${e}`);
  return problems;
}

/** Opens one generator connection per session (raw sockets, hand-made handshake). */
export async function openConnections(options: LoadOptions, stats: LoadStats, ringSize?: number): Promise<LoadConnection[]> {
  const body = messageBody(options.bytes);
  const dialect = options.dialect ?? SESSION_TEXT;
  const conns: LoadConnection[] = new Array<LoadConnection>(options.sessions.length);
  let next = 0;
  const worker = async () => {
    while (next < options.sessions.length) {
      const i = next++;
      const session = options.sessions[i]!;
      const upgraded = await upgrade({
        host: '127.0.0.1',
        port: options.port,
        path: dialect.path(session.id),
        headers: session.token ? { Authorization: `Bearer ${session.token}` } : {},
      });
      const rest = await dialect.open(upgraded.socket, upgraded.rest);
      conns[i] = new LoadConnection(upgraded.socket, rest, session.id, body, options.window, stats, dialect, ringSize);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 32, options.sessions.length) }, worker));
  return conns;
}

/** Waits (bounded) until no message is in flight. */
export async function drain(conns: readonly LoadConnection[], timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline && conns.some((c) => !c.closed && c.inFlight > 0)) await sleep(20);
}

export async function closeAll(conns: readonly LoadConnection[]): Promise<void> {
  for (const c of conns) c.close();
  const deadline = performance.now() + 3000;
  while (performance.now() < deadline && conns.some((c) => !c.closed)) await sleep(20);
  for (const c of conns) c.socket.destroy();
}

/** Measures one window: recording on, wait, recording off; CPU of both sides (and of helpers, not counted as other work). */
async function measure(stats: LoadStats, durationMs: number, serverCpu: () => number, helperCpu?: () => number): Promise<LoadResult> {
  stats.hist.reset();
  stats.echoes = 0;
  const cpu0 = serverCpu();
  const helper0 = helperCpu?.() ?? 0;
  const gen0 = process.cpuUsage();
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  stats.recording = true;
  await sleep(durationMs);
  stats.recording = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = serverCpu();
  const gen = process.cpuUsage(gen0);
  const busy = machineBusySeconds() - busy0;
  const generatorSeconds = (gen.user + gen.system) / 1e6;
  const helperSeconds = (helperCpu?.() ?? 0) - helper0;
  return {
    echoes: stats.echoes,
    seconds: round3(seconds),
    msgsPerSec: Math.round(stats.echoes / seconds),
    latency: stats.hist.summary(),
    serverCpu: round3((cpu1 - cpu0) / seconds),
    generatorCpu: round3(generatorSeconds / seconds),
    otherCpu: round3(Math.max(0, busy - generatorSeconds - helperSeconds - (cpu1 - cpu0)) / seconds),
    ...(helperCpu ? { helperCpu: round3(helperSeconds / seconds) } : {}),
    badEchoes: stats.badEchoes,
    pongs: stats.pongs,
    sample: stats.sample,
    errors: stats.errors,
  };
}

/**
 * Closed loop: every connection keeps `window` messages in flight, sending
 * one more per echo; after the warm-up, one measured window.
 */
export async function runClosedLoop(
  options: LoadOptions,
  timing: { warmupMs: number; durationMs: number },
  serverCpu: () => number,
): Promise<LoadResult> {
  const stats = newStats(new LatencyRecorder());
  const conns = await openConnections(options, stats);
  try {
    for (const c of conns) c.startClosedLoop();
    await sleep(timing.warmupMs);
    const result = await measure(stats, timing.durationMs, serverCpu);
    for (const c of conns) c.stopSending();
    await drain(conns);
    return result;
  } finally {
    await closeAll(conns);
  }
}

export interface PacedResult extends LoadResult {
  targetRate: number;
  /** Mean delay of a send behind its schedule (timer granularity), ms. */
  meanSendLagMs: number;
}

/**
 * Open loop at a fixed total rate, spread round-robin over the connections.
 * Sends never wait for echoes, so a stalled server cannot hold back the
 * load and hide its stall.
 */
export async function runPaced(
  options: LoadOptions,
  timing: { warmupMs: number; durationMs: number; rate: number },
  serverCpu: () => number,
  /** CPU of helper processes running beside, e.g. a side load (seconds so far). */
  helperCpu?: () => number,
): Promise<PacedResult> {
  const stats = newStats(new LatencyRecorder());
  const conns = await openConnections(options, stats, 8192);
  const interval = 1000 / timing.rate;
  const t0 = performance.now();
  let sent = 0;
  let lagMs = 0;
  // Every millisecond, send what is due. The loop never waits for an echo
  // (open loop), so a stalled server cannot slow the sends down; latency
  // counts from the real send time, and the timer's own lag is reported.
  const tick = setInterval(() => {
    const now = performance.now();
    const due = Math.min(Math.floor((now - t0) / interval), sent + timing.rate);
    for (; sent < due; sent++) {
      lagMs += now - (t0 + sent * interval);
      conns[sent % conns.length]!.sendOne(now);
    }
  }, 1);
  try {
    await sleep(timing.warmupMs);
    const result = await measure(stats, timing.durationMs, serverCpu, helperCpu);
    clearInterval(tick);
    await drain(conns);
    return { ...result, targetRate: timing.rate, meanSendLagMs: round3(lagMs / Math.max(1, sent)) };
  } finally {
    clearInterval(tick);
    await closeAll(conns);
  }
}
