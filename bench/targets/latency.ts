import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchOptions } from '../cli.js';
import { registerSessions } from '../lib/http.js';
import { quietly } from '../lib/proc.js';
import { startBenchServer, VARIANT_NAMES, type DbSync, type Variant } from '../lib/server-process.js';
import { runPaced, type PacedResult, type SessionCredentials } from '../load/generator.js';
import { heading, progress, table, target, type TargetResult } from '../report.js';

export interface LatencyReport {
  rate: number;
  connections: number;
  runs: Record<string, PacedResult & { attempts?: number }>;
}

async function pacedRun(variant: Variant, options: BenchOptions, sync: DbSync): Promise<PacedResult> {
  const dir = mkdtempSync(join(tmpdir(), 'wss-bench-'));
  try {
    const server = await startBenchServer({ variant, dbPath: join(dir, 'app.db'), sync, pin: options.pin });
    try {
      const ids = Array.from({ length: options.connections }, (_, i) => `paced-${i}`);
      const sessions: SessionCredentials[] = server.httpPort !== null ? await registerSessions(server.httpPort, ids) : ids.map((id) => ({ id }));
      return await runPaced(
        { port: server.wsPort, sessions, bytes: options.bytes, window: 1 },
        { warmupMs: Math.min(options.warmupMs, 2000), durationMs: options.durationMs, rate: options.rate },
        server.cpuSeconds,
      );
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Target 3b: echo latency at a fixed total rate (open loop), for (a) and, for
 * scale, for (b).
 */
export async function latencyTarget(options: BenchOptions): Promise<{ report: LatencyReport; targets: TargetResult[] }> {
  const sync: DbSync = options.sync === 'normal' ? 'normal' : 'full';
  heading(`latency at a fixed ${options.rate.toLocaleString('en-US')} msg/s over ${options.connections} connections (B=${options.bytes}, DB_SYNC=${sync})`);
  const runs: LatencyReport['runs'] = {};
  for (const variant of ['a', 'b'] as Variant[]) {
    progress(`${variant} ${VARIANT_NAMES[variant]}`);
    runs[variant] = await quietly(() => pacedRun(variant, options, sync));
  }
  console.log(
    table(
      ['variant', 'target msg/s', 'achieved', 'send lag ms', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'server CPU', 'other CPU', 'errors'],
      Object.entries(runs).map(([k, r]) => [
        `${k} ${VARIANT_NAMES[k as Variant]}`, r.targetRate, r.msgsPerSec, r.meanSendLagMs, r.latency.p50, r.latency.p99, r.latency.p999, r.latency.max, r.serverCpu, r.otherCpu, r.errors.length + r.badEchoes,
      ]),
    ),
  );
  const a = runs.a!;
  // A server that cannot keep the rate has failed the target whatever its percentiles say.
  const kept = a.msgsPerSec >= 0.95 * options.rate;
  return {
    report: { rate: options.rate, connections: options.connections, runs },
    targets: [
      target(
        'latency',
        `(a) p99 echo latency at a fixed ${options.rate} msg/s${kept ? '' : ` (rate NOT kept: ${a.msgsPerSec} msg/s)`}`,
        kept ? a.latency.p99 : Infinity,
        '<=',
        15,
        'ms',
      ),
    ],
  };
}
