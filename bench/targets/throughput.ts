import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchOptions } from '../cli.js';
import { median, round3 } from '../lib/stats.js';
import { registerSessions } from '../lib/http.js';
import { quietly } from '../lib/proc.js';
import { startBenchServer, VARIANT_NAMES, type DbSync, type Variant } from '../lib/server-process.js';
import { runClosedLoop, type LoadResult, type SessionCredentials } from '../load/generator.js';
import { heading, progress, table, target, type TargetResult } from '../report.js';

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
  return [...a, { key: 'b', variant: 'b' }, { key: 'c', variant: 'c' }];
}

const RATIOS: Record<string, [string, string]> = {
  'a/b': ['a', 'b'],
  'c/b': ['c', 'b'],
  'a/c': ['a', 'c'],
  'a_full/a_normal': ['a', 'a_normal'],
};

async function runArm(arm: Arm, options: BenchOptions, rep: number, cpuProfDir?: string): Promise<ThroughputRun> {
  const dir = mkdtempSync(join(tmpdir(), 'wss-bench-'));
  try {
    const server = await startBenchServer({ variant: arm.variant, dbPath: join(dir, 'app.db'), sync: arm.sync, pin: options.pin, cpuProfDir });
    try {
      const ids = Array.from({ length: options.connections }, (_, i) => `bench-${rep}-${i}`);
      const sessions: SessionCredentials[] = server.httpPort !== null ? await registerSessions(server.httpPort, ids) : ids.map((id) => ({ id }));
      const result = await runClosedLoop(
        { port: server.wsPort, sessions, bytes: options.bytes, window: options.window },
        { warmupMs: options.warmupMs, durationMs: options.durationMs },
        server.cpuSeconds,
      );
      return { ...result, key: arm.key, variant: arm.variant, sync: arm.sync ?? null };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const label = (run: ThroughputRun) => `${run.key} ${VARIANT_NAMES[run.variant]}${run.sync ? ` (DB_SYNC=${run.sync})` : ''}`;

/**
 * Target 1/2: (a) vs (b) vs (c), interleaved, `reps` repetitions, the order
 * rotated each repetition; reported as medians of per-repetition ratios.
 */
export async function throughputTarget(options: BenchOptions, profileDir?: string): Promise<{ report: ThroughputReport; targets: TargetResult[] }> {
  heading(`throughput: C=${options.connections} W=${options.window} B=${options.bytes}, ${options.warmupMs / 1000}s warm-up + ${options.durationMs / 1000}s measured, ${options.reps} interleaved repetitions`);
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
        ['variant', 'msgs/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'server CPU', 'gen CPU', 'other CPU', 'errors'],
        list.map((arm) => {
          const r = runs[arm.key]!;
          return [label(r), r.msgsPerSec, r.latency.p50, r.latency.p99, r.latency.p999, r.serverCpu, r.generatorCpu, r.otherCpu, r.errors.length + r.badEchoes];
        }),
      ),
    );
    console.log(`ratios: ${Object.entries(ratios).map(([k, v]) => `${k}=${v}`).join('  ')}`);
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
    targets: [
      target('throughput', `(a)/(b) msgs/s, median of ${options.reps} per-repetition ratios`, medians.ratios['a/b']!, '>=', 0.75),
    ],
  };
}
