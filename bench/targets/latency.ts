import type { BenchOptions } from '../cli.js';
import { quietly } from '../lib/proc.js';
import { VARIANT_NAMES, type DbSync, type Variant } from '../lib/server-process.js';
import { median, medianOfRatios, round3 } from '../lib/stats.js';
import { runPaced, runProblems, type PacedResult } from '../load/generator.js';
import { count, heading, progress, table, target, type TargetResult } from '../report.js';
import { withServer } from './with-server.js';

/** (a) against the plain ws echo (b) and the Socket.IO peers (d, e). */
const VARIANTS: readonly Variant[] = ['a', 'b', 'd', 'e'];

/** A run that sent less than this share of the fixed rate did not keep it. */
const KEPT = 0.95;

export interface LatencyRun extends PacedResult {
  attempts?: number;
  /** Achieved at least 95 % of the fixed rate. */
  kept: boolean;
  /** Server CPU per echoed message, in microseconds. */
  cpuUsPerMsg: number;
}

type Ratios = Record<string, number>;

export interface LatencyReport {
  rate: number;
  connections: number;
  reps: { rep: number; order: Variant[]; runs: Record<string, LatencyRun>; ratios: Ratios }[];
  medians: { ratios: Ratios; p99: Record<string, number>; cpuUsPerMsg: Record<string, number>; serverCpu: Record<string, number> };
}

/** Per-repetition ratios, numerator first: p99 echo latency, and server CPU per message. */
const RATIOS: Record<string, [Variant, Variant, 'p99' | 'cpu']> = {
  'p99 a/b': ['a', 'b', 'p99'],
  'p99 a/d': ['a', 'd', 'p99'],
  'p99 a/e': ['a', 'e', 'p99'],
  'cpu/msg a/b': ['a', 'b', 'cpu'],
  'cpu/msg a/d': ['a', 'd', 'cpu'],
};

function pacedRun(variant: Variant, options: BenchOptions, sync: DbSync, rep: number): Promise<LatencyRun> {
  const ids = Array.from({ length: options.connections }, (_, i) => `paced-${rep}-${i}`);
  return withServer(
    variant,
    options,
    ids,
    async ({ server, sessions, dialect }) => {
      const r = await runPaced(
        { port: server.wsPort, sessions, bytes: options.bytes, window: 1, dialect },
        { warmupMs: Math.min(options.warmupMs, 2000), durationMs: options.durationMs, rate: options.rate },
        server.cpuSeconds,
      );
      return { ...r, kept: r.msgsPerSec >= KEPT * options.rate, cpuUsPerMsg: round3((r.serverCpu * 1e6) / Math.max(1, r.msgsPerSec)) };
    },
    { sync },
  );
}

/**
 * A ratio of one repetition. A numerator that did not keep the rate failed
 * (+Infinity); a denominator that did not measured nothing (NaN, left out
 * of the median).
 */
function ratioOf(runs: Record<string, LatencyRun>, [num, den, what]: [Variant, Variant, 'p99' | 'cpu']): number {
  const n = runs[num]!;
  const d = runs[den]!;
  if (!n.kept) return Infinity;
  if (!d.kept) return NaN;
  return what === 'p99' ? round3(n.latency.p99 / d.latency.p99) : round3(n.cpuUsPerMsg / d.cpuUsPerMsg);
}

/**
 * Echo latency and server CPU per message at a fixed total rate (open loop),
 * (a) against (b), (d) and (e), interleaved, the order rotated each
 * repetition; medians of the per-repetition ratios.
 */
export async function latencyTarget(options: BenchOptions): Promise<{ report: LatencyReport; targets: TargetResult[]; problems: string[] }> {
  const sync: DbSync = options.sync === 'normal' ? 'normal' : 'full';
  heading(
    `latency at a fixed ${options.rate.toLocaleString('en-US')} msg/s over ${options.connections} connections ` +
      `(B=${options.bytes}, DB_SYNC=${sync}), ${count(options.reps, 'interleaved repetition')}`,
  );
  const reps: LatencyReport['reps'] = [];
  for (let rep = 0; rep < options.reps; rep++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + rep) % VARIANTS.length]!);
    const runs: Record<string, LatencyRun> = {};
    for (const variant of order) {
      progress(`rep ${rep + 1}/${options.reps}: ${variant} ${VARIANT_NAMES[variant]}`);
      runs[variant] = await quietly(() => pacedRun(variant, options, sync, rep));
    }
    const ratios = Object.fromEntries(Object.entries(RATIOS).map(([name, spec]) => [name, ratioOf(runs, spec)]));
    reps.push({ rep: rep + 1, order, runs, ratios });
    console.log(`\nrepetition ${rep + 1}`);
    console.log(
      table(
        ['variant', 'achieved msg/s', 'send lag ms', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'server CPU', 'CPU us/msg', 'other CPU', 'pongs', 'errors'],
        VARIANTS.map((v) => {
          const r = runs[v]!;
          return [
            `${v} ${VARIANT_NAMES[v]}${r.kept ? '' : ' (rate NOT kept)'}`, r.msgsPerSec, r.meanSendLagMs, r.latency.p50, r.latency.p99, r.latency.p999,
            r.latency.max, r.serverCpu, r.cpuUsPerMsg, r.otherCpu, r.pongs, r.errors.length + r.badEchoes,
          ];
        }),
      ),
    );
    console.log(`ratios: ${Object.entries(ratios).map(([k, v]) => `${k}=${v}`).join('  ')}`);
  }
  const pick = (f: (r: LatencyRun) => number) => Object.fromEntries(VARIANTS.map((v) => [v, round3(median(reps.map((r) => f(r.runs[v]!))))]));
  const medians: LatencyReport['medians'] = {
    ratios: Object.fromEntries(Object.keys(RATIOS).map((k) => [k, round3(medianOfRatios(reps.map((r) => r.ratios[k]!)))])),
    // A repetition in which (a) did not keep the rate counts as an infinite p99.
    p99: { ...pick((r) => r.latency.p99), a: round3(medianOfRatios(reps.map((r) => (r.runs.a!.kept ? r.runs.a!.latency.p99 : Infinity)))) },
    cpuUsPerMsg: pick((r) => r.cpuUsPerMsg),
    serverCpu: pick((r) => r.serverCpu),
  };
  console.log('\nmedians over repetitions');
  console.log(
    table(
      ['variant', 'p99 ms', 'server CPU', 'CPU us/msg'],
      VARIANTS.map((v) => [`${v} ${VARIANT_NAMES[v]}`, medians.p99[v]!, medians.serverCpu[v]!, medians.cpuUsPerMsg[v]!]),
    ),
  );
  console.log(`median ratios: ${Object.entries(medians.ratios).map(([k, v]) => `${k}=${v}`).join('  ')}`);
  const at = `at a fixed ${options.rate} msg/s, median of ${options.reps} per-repetition ratios`;
  return {
    report: { rate: options.rate, connections: options.connections, reps, medians },
    problems: reps.flatMap((r) =>
      VARIANTS.flatMap((v) => runProblems(`latency rep ${r.rep} ${v}`, r.runs[v]!, options.smoke && v !== 'b')),
    ),
    targets: [
      target('latency', `(a) p99 echo latency at a fixed ${options.rate} msg/s, median of ${options.reps} repetitions (a rate not kept counts as infinite)`, medians.p99.a!, '<=', 15, 'ms'),
      target('latency-vs-ws', `(a)/(b) p99 echo latency ${at}`, medians.ratios['p99 a/b']!, '<=', 2, 'x'),
      target('cpu-per-message', `(a)/(b) server CPU per message ${at} (${medians.cpuUsPerMsg.a} vs ${medians.cpuUsPerMsg.b} us)`, medians.ratios['cpu/msg a/b']!, '<=', 1.5, 'x'),
      target('latency-vs-socketio', `(a)/(d) p99 echo latency ${at} ((a)/(e): ${medians.ratios['p99 a/e']})`, medians.ratios['p99 a/d']!, '<=', 1, 'x'),
    ],
  };
}
