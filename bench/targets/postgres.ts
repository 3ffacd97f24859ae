import type { BenchOptions } from '../cli.js';
import { startBenchPostgres, type BenchPostgres } from '../lib/postgres.js';
import { quietly } from '../lib/proc.js';
import { median, medianOfRatios, round3 } from '../lib/stats.js';
import { runClosedLoop, runPaced, runProblems, type LoadResult, type PacedResult } from '../load/generator.js';
import { count, heading, progress, table, type TargetResult } from '../report.js';
import { withServer, type ServerRun } from './with-server.js';

/** The two stores, each one node of (a) as shipped: SQLite (the default) and PostgreSQL (DATABASE_URL, its default LISTEN/NOTIFY bus). */
const STORES = ['sqlite', 'postgres'] as const;
type Store = (typeof STORES)[number];

/** A paced run that sent less than this share of its rate did not keep it. */
const KEPT = 0.95;

export interface StoreRun {
  throughput: LoadResult;
  /** One paced run per fixed rate, in the order of `rates`. */
  paced: Array<PacedResult & { kept: boolean }>;
}

export interface PostgresReport {
  rates: number[];
  reps: { rep: number; order: Store[]; runs: Record<Store, StoreRun>; ratios: Record<string, number> }[];
  medians: { ratios: Record<string, number>; msgsPerSec: Record<Store, number>; p99: Record<string, number> };
}

const ratesOf = (options: BenchOptions) => (options.smoke ? [500] : [1000, 5000]);

async function runStore(store: Store, options: BenchOptions, postgres: BenchPostgres, rep: number): Promise<StoreRun> {
  const run = async <T>(ids: string[], body: (run: ServerRun) => Promise<T>): Promise<T> => {
    const database = store === 'postgres' ? await postgres.database() : null;
    try {
      return await withServer('a', options, ids, body, database ? { env: { DATABASE_URL: database.url } } : {});
    } finally {
      await database?.drop();
    }
  };
  const cpu = (server: { cpuSeconds(): number }) => () => server.cpuSeconds() + (store === 'postgres' ? postgres.cpuSeconds() : 0);
  const ids = (kind: string) => Array.from({ length: options.connections }, (_, i) => `pg-${kind}-${rep}-${i}`);
  const throughput = await quietly(() =>
    run(ids('sat'), ({ server, sessions, dialect }) =>
      runClosedLoop(
        { port: server.wsPort, sessions, bytes: options.bytes, window: options.window, dialect },
        { warmupMs: options.warmupMs, durationMs: options.durationMs },
        cpu(server),
      ),
    ),
  );
  const paced: StoreRun['paced'] = [];
  for (const rate of ratesOf(options)) {
    const r = await quietly(() =>
      run(ids(`r${rate}`), ({ server, sessions, dialect }) =>
        runPaced(
          { port: server.wsPort, sessions, bytes: options.bytes, window: 1, dialect },
          { warmupMs: Math.min(options.warmupMs, 2000), durationMs: options.durationMs, rate },
          cpu(server),
        ),
      ),
    );
    paced.push({ ...r, kept: r.msgsPerSec >= KEPT * rate });
  }
  return { throughput, paced };
}

/**
 * One PostgreSQL node against one SQLite node (issue 14, point 4): saturation
 * throughput and p99 echo latency at fixed rates, the two stores interleaved
 * (order rotated each repetition), ratios postgres/sqlite per repetition and
 * their medians. PostgreSQL runs on the server's core; its CPU counts as the
 * server's. Reported, not enforced.
 */
export async function postgresTarget(options: BenchOptions): Promise<{ report: PostgresReport; targets: TargetResult[]; problems: string[] }> {
  const rates = ratesOf(options);
  heading(
    `PostgreSQL node vs SQLite node: C=${options.connections} W=${options.window} B=${options.bytes} at saturation, ` +
      `then ${rates.join(' and ')} msg/s fixed, ${count(options.reps, 'interleaved repetition')}`,
  );
  const postgres = await startBenchPostgres(options.pin);
  const reps: PostgresReport['reps'] = [];
  try {
    for (let rep = 0; rep < options.reps; rep++) {
      const order = STORES.map((_, i) => STORES[(i + rep) % STORES.length]!);
      const runs = {} as Record<Store, StoreRun>;
      for (const store of order) {
        progress(`rep ${rep + 1}/${options.reps}: ${store}`);
        runs[store] = await runStore(store, options, postgres, rep);
      }
      const ratios: Record<string, number> = { 'msgs/s postgres/sqlite': round3(runs.postgres.throughput.msgsPerSec / runs.sqlite.throughput.msgsPerSec) };
      rates.forEach((rate, i) => {
        const [pg, lite] = [runs.postgres.paced[i]!, runs.sqlite.paced[i]!];
        ratios[`p99@${rate} postgres/sqlite`] = !pg.kept ? Infinity : !lite.kept ? NaN : round3(pg.latency.p99 / lite.latency.p99);
      });
      reps.push({ rep: rep + 1, order, runs, ratios });
      console.log(`\nrepetition ${rep + 1}`);
      console.log(
        table(
          ['store', 'msgs/s (saturated)', 'p99 ms', 'server+db CPU', 'other CPU', ...rates.flatMap((r) => [`@${r} achieved`, `@${r} p50 ms`, `@${r} p99 ms`])],
          STORES.map((s) => {
            const r = runs[s];
            return [
              s, r.throughput.msgsPerSec, r.throughput.latency.p99, r.throughput.serverCpu, r.throughput.otherCpu,
              ...r.paced.flatMap((p) => [`${p.msgsPerSec}${p.kept ? '' : ' (NOT kept)'}`, p.latency.p50, p.latency.p99]),
            ];
          }),
        ),
      );
      console.log(`ratios: ${Object.entries(ratios).map(([k, v]) => `${k}=${v}`).join('  ')}`);
    }
  } finally {
    await postgres.stop();
  }
  const medians: PostgresReport['medians'] = {
    ratios: Object.fromEntries(Object.keys(reps[0]!.ratios).map((k) => [k, round3(medianOfRatios(reps.map((r) => r.ratios[k]!)))])),
    msgsPerSec: Object.fromEntries(STORES.map((s) => [s, round3(median(reps.map((r) => r.runs[s].throughput.msgsPerSec)))])) as Record<Store, number>,
    p99: Object.fromEntries(
      STORES.flatMap((s) => rates.map((rate, i) => [`${s}@${rate}`, round3(median(reps.map((r) => r.runs[s].paced[i]!.latency.p99)))])),
    ),
  };
  console.log(`\nmedians: msgs/s ${STORES.map((s) => `${s} ${medians.msgsPerSec[s]}`).join(', ')}; p99 ms ${Object.entries(medians.p99).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`median ratios: ${Object.entries(medians.ratios).map(([k, v]) => `${k}=${v}`).join('  ')}`);
  return {
    report: { rates, reps, medians },
    targets: [],
    problems: reps.flatMap((r) =>
      STORES.flatMap((s) => [
        ...runProblems(`postgres rep ${r.rep} ${s} saturated`, r.runs[s].throughput, options.smoke),
        ...r.runs[s].paced.flatMap((p, i) => runProblems(`postgres rep ${r.rep} ${s} @${rates[i]}`, p, options.smoke)),
      ]),
    ),
  };
}
