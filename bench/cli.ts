import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/server-process.js';
import { SIDE_LOAD_KINDS, type SideLoadKind } from './side-load/spec.js';

export const TARGET_NAMES = ['throughput', 'latency', 'memory', 'history', 'startup', 'stall', 'postgres', 'cross-node'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface BenchOptions {
  connections: number;
  window: number;
  bytes: number;
  warmupMs: number;
  durationMs: number;
  reps: number;
  /** DB_SYNC of variant (a); `both` runs full and normal interleaved. */
  sync: 'full' | 'normal' | 'both';
  smoke: boolean;
  only: ReadonlySet<TargetName>;
  /** Pin server and generator to different cores with taskset. */
  pin: boolean;
  /** Fixed rate of the latency target, messages/s over all connections. */
  rate: number;
  /** Idle connections of the memory target. */
  idleConnections: number;
  /** Messages in the history fixture's one session. */
  historyMessages: number;
  historyRequests: number;
  /** Size of the start-up fixture, in MiB. */
  startupMiB: number;
  startupReps: number;
  /** Messages in the stall target's database (over many sessions). */
  stallMessages: number;
  /** The stall target's arms: the echo alone ('none', always) and beside these side loads (all by default). */
  stallArms: SideLoadKind[];
  /** Interleaved repetitions of the stall target (its arms are six). */
  stallReps: number;
  /** Time the run may spend waiting for a quiet machine and measuring again, ms (0 in a smoke run). */
  patienceMs: number;
  /** Write a V8 CPU profile of variant (a) during one throughput run. */
  profile: boolean;
  /** The bus between the cross-node target's two nodes (BUS): PostgreSQL LISTEN/NOTIFY, as shipped, or Redis pub/sub. */
  crossNodeBus: 'postgres' | 'redis';
  /** The cross-node target's rate, msg/s over all senders; its target (issue 14) is checked at 1,000 only. */
  crossNodeRate: number;
  resultsDir: string;
  out: string;
}

const USAGE = `Usage: npm run bench -- [options]
  --connections N   connections (= registered sessions) per variant (100)
  --window N        messages in flight per connection (10)
  --bytes N         message body size (64)
  --warmup S        warm-up seconds per variant per repetition (3)
  --duration S      measured seconds per variant per repetition (5)
  --reps N          interleaved repetitions (5)
  --sync M          DB_SYNC of variant (a): full | normal | both (full)
  --only LIST       targets to run: ${TARGET_NAMES.join(',')} (all)
  --rate N          fixed rate of the latency target, msg/s (10000)
  --idle N          idle connections of the memory target (10000)
  --stall-messages N  messages in the stall target's database (400000)
  --stall-loads LIST  the stall target's side loads: ${SIDE_LOAD_KINDS.slice(1).join(',')} (all);
                    the echo alone is always measured, targets of loads left out are not reported
  --patience S      seconds the whole run may spend waiting for a quiet machine
                    and measuring noisy windows again (180; 0: never)
  --bus B           the cross-node target's bus: postgres | redis (postgres, the default with DATABASE_URL)
  --cross-node-rate N  the cross-node target's rate, msg/s (1000; its p99 target is checked at 1000 only)
  --profile         write CPU profiles (throughput: variant (a); cross-node: both nodes) and print their top functions
  --no-pin          do not pin server and generator with taskset
  --smoke           a few seconds, tiny fixtures, targets reported but not enforced
  --out FILE        JSON report (bench/results/latest.json)
`;

function num(value: string | undefined, fallback: number, name: string, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, got "${value}"`);
  return n;
}

export function parseOptions(argv: readonly string[]): BenchOptions | { help: string } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      connections: { type: 'string' },
      window: { type: 'string' },
      bytes: { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      reps: { type: 'string' },
      sync: { type: 'string' },
      only: { type: 'string' },
      rate: { type: 'string' },
      idle: { type: 'string' },
      'history-messages': { type: 'string' },
      'startup-mb': { type: 'string' },
      'stall-messages': { type: 'string' },
      'stall-loads': { type: 'string' },
      patience: { type: 'string' },
      bus: { type: 'string' },
      'cross-node-rate': { type: 'string' },
      profile: { type: 'boolean' },
      'no-pin': { type: 'boolean' },
      smoke: { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: USAGE };
  const smoke = values.smoke === true;
  const sync = values.sync ?? 'full';
  if (sync !== 'full' && sync !== 'normal' && sync !== 'both') throw new Error(`--sync must be full, normal or both, got "${sync}"`);
  const only = new Set<TargetName>();
  for (const name of (values.only ?? TARGET_NAMES.join(',')).split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(TARGET_NAMES as readonly string[]).includes(name)) throw new Error(`--only: unknown target "${name}" (${TARGET_NAMES.join(', ')})`);
    only.add(name as TargetName);
  }
  const loads = SIDE_LOAD_KINDS.slice(1) as readonly string[];
  const stallLoads = (values['stall-loads'] ?? loads.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const load of stallLoads) if (!loads.includes(load)) throw new Error(`--stall-loads: unknown side load "${load}" (${loads.join(', ')})`);
  const crossNodeBus = values.bus ?? 'postgres';
  if (crossNodeBus !== 'postgres' && crossNodeBus !== 'redis') throw new Error(`--bus must be postgres or redis, got "${crossNodeBus}"`);
  const resultsDir = join(ROOT, 'bench/results');
  return {
    connections: num(values.connections, smoke ? 10 : 100, 'connections'),
    window: num(values.window, smoke ? 4 : 10, 'window'),
    bytes: num(values.bytes, 64, 'bytes', 0),
    warmupMs: num(values.warmup, smoke ? 0.5 : 3, 'warmup', 0) * 1000,
    durationMs: num(values.duration, smoke ? 1 : 5, 'duration', 0.1) * 1000,
    reps: num(values.reps, smoke ? 1 : 5, 'reps'),
    sync,
    smoke,
    only,
    pin: values['no-pin'] !== true,
    rate: num(values.rate, smoke ? 1000 : 10_000, 'rate'),
    idleConnections: num(values.idle, smoke ? 200 : 10_000, 'idle'),
    historyMessages: num(values['history-messages'], smoke ? 10_000 : 1_000_000, 'history-messages', 100),
    historyRequests: smoke ? 200 : 2000,
    startupMiB: num(values['startup-mb'], smoke ? 8 : 1024, 'startup-mb'),
    startupReps: smoke ? 1 : 5,
    stallMessages: num(values['stall-messages'], smoke ? 3000 : 400_000, 'stall-messages', 1000),
    stallReps: smoke ? 1 : Math.min(3, num(values.reps, 3, 'reps')),
    stallArms: SIDE_LOAD_KINDS.filter((kind) => kind === 'none' || stallLoads.includes(kind)),
    patienceMs: smoke ? 0 : num(values.patience, 180, 'patience', 0) * 1000,
    profile: values.profile === true,
    crossNodeBus,
    crossNodeRate: num(values['cross-node-rate'], smoke ? 200 : 1000, 'cross-node-rate'),
    resultsDir,
    out: values.out ?? join(resultsDir, smoke ? 'smoke.json' : 'latest.json'),
  };
}
