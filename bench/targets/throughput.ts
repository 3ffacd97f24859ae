import type { BenchOptions } from '../cli.js';
import { median, round3 } from '../lib/stats.js';
import { quietly } from '../lib/proc.js';
import { VARIANT_NAMES, type DbSync, type Variant } from '../lib/server-process.js';
import { runClosedLoop, runProblems, type LoadResult } from '../load/generator.js';
import { count, heading, progress, table, target, type TargetResult } from '../report.js';
import { withServer } from './with-server.js';

/** A variant of one repetition: a server kind and, for (a), its DB_SYNC. */
interface Arm {
  key: string;
  variant: Variant;
  sync?: DbSync;
}

export interface ThroughputRun extends LoadResult {
  /** Measurements made to get a quiet window (see quietly()). */
  attempts?: number;
  key: string;
  variant: Variant;
  sync: DbSync | null;
}

export interface ThroughputReport {
  settings: { connections: number; window: number; bytes: number; warmupMs: number; durationMs: number; reps: number };
  reps: { rep: number; order: string[]; runs: Record<string, ThroughputRun>; ratios: Record<string, number> }[];
  medians: { ratios: Record<string, number>; msgsPerSec: Record<string, number>; p99: Record<string, number>; serverCpu: Record<string, number> };
}

function arms(sync: BenchOptions['sync']): Arm[] {
  const a: Arm[] = sync === 'both' ? [{ key: 'a', variant: 'a', sync: 'full' }, { key: 'a_normal', variant: 'a', sync: 'normal' }]
    : [{ key: 'a', variant: 'a', sync }];
  return [...a, ...(['b', 'c', 'd', 'e'] as const).map((v) => ({ key: v, variant: v }))];
}

const RATIOS: Record<string, [string, string]> = {
  'a/b': ['a', 'b'],
  'a/d': ['a', 'd'],
  'a/e': ['a', 'e'],
  'c/b': ['c', 'b'],
  'd/b': ['d', 'b'],
  'a/c': ['a', 'c'],
  'a_full/a_normal': ['a', 'a_normal'],
};

function runArm(arm: Arm, options: BenchOptions, rep: number, cpuProfDir?: string): Promise<ThroughputRun> {
  const ids = Array.from({ length: options.connections }, (_, i) => `bench-${rep}-${i}`);
  return withServer(
    arm.variant,
    options,
    ids,
    async ({ server, sessions, dialect }) => {
      const result = await runClosedLoop(
        { port: server.wsPort, sessions, bytes: options.bytes, window: options.window, dialect },
        { warmupMs: options.warmupMs, durationMs: options.durationMs },
        server.cpuSeconds,
      );
      return { ...result, key: arm.key, variant: arm.variant, sync: arm.sync ?? null };
    },
    { sync: arm.sync, cpuProfDir },
  );
}

/**
 * The generator is one thread: at this many cores of CPU, with the server
 * short of a whole core, it and not the server set the pace.
 */
const GENERATOR_BOUND = 0.9;
const SERVER_BUSY = 0.95;
const generatorBound = (run: ThroughputRun): boolean => run.generatorCpu >= GENERATOR_BOUND && run.serverCpu < SERVER_BUSY;

/**
 * A throughput ratio target over `peer`: the median of the per-repetition
 * ratios of the repetitions where the generator did not pace the peer. A
 * ratio over a paced peer is only an upper bound (the peer could have gone
 * faster), so those repetitions are left out; with none left the target is
 * not met.
 */
function ratioTarget(
  reps: ThroughputReport['reps'],
  ratio: string,
  peer: string,
  name: string,
  description: string,
  limit: number,
): TargetResult {
  const kept = reps.filter((r) => !generatorBound(r.runs[peer]!));
  const figure = kept.length > 0 ? round3(median(kept.map((r) => r.ratios[ratio]!))) : NaN;
  const left = reps.length - kept.length;
  const note = left === 0 ? '' : `; ${left} of ${reps.length} repetitions left out: the generator paced (${peer}) (gen CPU >= ${GENERATOR_BOUND}, server CPU < ${SERVER_BUSY})`;
  return target(name, `${description}, median of ${kept.length} per-repetition ratios${note}`, figure, '>=', limit, 'x');
}

const label = (run: ThroughputRun) => `${run.key} ${VARIANT_NAMES[run.variant]}${run.sync ? ` (DB_SYNC=${run.sync})` : ''}`;

/**
 * Saturation throughput of (a) against the plain ws echo (b), the naive
 * design (c) and the Socket.IO peers (d, e), interleaved, `reps`
 * repetitions, the order rotated each repetition; reported as medians of
 * per-repetition ratios.
 */
export async function throughputTarget(
  options: BenchOptions,
  profileDir?: string,
): Promise<{ report: ThroughputReport; targets: TargetResult[]; problems: string[] }> {
  heading(`throughput: C=${options.connections} W=${options.window} B=${options.bytes}, ${options.warmupMs / 1000}s warm-up + ${options.durationMs / 1000}s measured, ${count(options.reps, 'interleaved repetition')}`);
  const list = arms(options.sync);
  const reps: ThroughputReport['reps'] = [];
  for (let rep = 0; rep < options.reps; rep++) {
    const order = list.map((_, i) => list[(i + rep) % list.length]!);
    const runs: Record<string, ThroughputRun> = {};
    for (const arm of order) {
      progress(`rep ${rep + 1}/${options.reps}: ${arm.key} ${VARIANT_NAMES[arm.variant]}${arm.sync ? ` DB_SYNC=${arm.sync}` : ''}`);
      const prof = profileDir && rep === 0 && arm.key === 'a' ? profileDir : undefined;
      runs[arm.key] = await quietly(() => runArm(arm, options, rep, prof));
    }
    const ratios: Record<string, number> = {};
    for (const [name, [num, den]] of Object.entries(RATIOS)) {
      if (runs[num] && runs[den]) ratios[name] = round3(runs[num].msgsPerSec / runs[den].msgsPerSec);
    }
    reps.push({ rep: rep + 1, order: order.map((a) => a.key), runs, ratios });
    console.log(`\nrepetition ${rep + 1}`);
    console.log(
      table(
        ['variant', 'msgs/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'server CPU', 'gen CPU', 'other CPU', 'pongs', 'errors'],
        list.map((arm) => {
          const r = runs[arm.key]!;
          return [label(r), r.msgsPerSec, r.latency.p50, r.latency.p99, r.latency.p999, r.serverCpu, r.generatorCpu, r.otherCpu, r.pongs, r.errors.length + r.badEchoes];
        }),
      ),
    );
    console.log(`ratios: ${Object.entries(ratios).map(([k, v]) => `${k}=${v}`).join('  ')}`);
    const bound = list.filter((arm) => generatorBound(runs[arm.key]!)).map((arm) => arm.key);
    if (bound.length > 0) console.log(`generator-bound (gen CPU >= ${GENERATOR_BOUND}, server CPU < ${SERVER_BUSY}): ${bound.join(', ')}: the generator's limit, not the server's`);
  }
  const pick = (f: (r: ThroughputRun) => number) =>
    Object.fromEntries(list.map((arm) => [arm.key, round3(median(reps.map((r) => f(r.runs[arm.key]!))))]));
  const medians: ThroughputReport['medians'] = {
    ratios: Object.fromEntries(Object.keys(reps[0]!.ratios).map((k) => [k, round3(median(reps.map((r) => r.ratios[k]!)))])),
    msgsPerSec: pick((r) => r.msgsPerSec),
    p99: pick((r) => r.latency.p99),
    serverCpu: pick((r) => r.serverCpu),
  };
  console.log('\nmedians over repetitions');
  console.log(
    table(
      ['variant', 'msgs/s', 'p99 ms', 'server CPU'],
      list.map((arm) => [arm.key, medians.msgsPerSec[arm.key]!, medians.p99[arm.key]!, medians.serverCpu[arm.key]!]),
    ),
  );
  console.log(`median ratios: ${Object.entries(medians.ratios).map(([k, v]) => `${k}=${v}`).join('  ')}`);
  const { connections, window, bytes, warmupMs, durationMs } = options;
  return {
    report: { settings: { connections, window, bytes, warmupMs, durationMs, reps: options.reps }, reps, medians },
    problems: reps.flatMap((r) =>
      Object.values(r.runs).flatMap((run) => runProblems(`throughput rep ${r.rep} ${run.key}`, run, options.smoke && run.variant !== 'b' && run.variant !== 'c')),
    ),
    targets: [
      ratioTarget(reps, 'a/b', 'b', 'throughput', '(a)/(b) msgs/s at saturation', 0.9),
      ratioTarget(reps, 'a/d', 'd', 'throughput-vs-socketio', `(a)/(d) msgs/s at saturation ((a)/(e): ${medians.ratios['a/e']})`, 1.3),
    ],
  };
}
