/**
 * Keeps `npm run bench` working: runs its smoke (a few seconds, small C, tiny
 * fixtures, targets not enforced) as a child process against the built server
 * and checks the report.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, SERVER_MAIN } from './lib/server-process.js';

interface Run {
  echoes: number;
  msgsPerSec: number;
  badEchoes: number;
  pongs: number;
  sample: string | null;
  errors: string[];
  latency: { p50: number; p99: number; p999: number };
}

interface Report {
  version: number;
  smoke: boolean;
  passed: boolean;
  problems: string[];
  targets: { name: string; figure: number | string; limit: number; met: boolean }[];
  throughput: { reps: { runs: Record<string, Run>; ratios: Record<string, number> }[]; medians: { ratios: Record<string, number> } };
  latency: { reps: { runs: Record<string, Run & { targetRate: number; kept: boolean; cpuUsPerMsg: number }>; ratios: Record<string, number> }[]; medians: { ratios: Record<string, number> } };
  memory: { runs: Record<string, { connections: number; perConnectionKiB: number }>; ratio: number };
  history: { store: { p99: number }; http: { p99: number }; bare: { p99: number }; ratio: number; reps: unknown[] };
  startup: { medianEmptyMs: number; medianBigMs: number };
  postgres: { rates: number[]; reps: { runs: Record<string, { throughput: Run; paced: Run[] }>; ratios: Record<string, number> }[] };
  'cross-node': { reps: { sent: number; received: number; errors: string[]; latency: { p99: number }; serverCoreBusy: number | null }[] };
  stall: {
    fixture: { messages: number };
    reps: {
      runs: Record<string, Run & { kind: string; sideLoad: { completed: number; statuses: Record<string, number>; detail: Record<string, number>; errors: string[] }; smallSearch?: { samples: number; p99: number; errors: string[] } }>;
      ratios: Record<string, number>;
    }[];
    medians: { ratios: Record<string, number>; smallSearchP99: number };
  };
}

const dir = mkdtempSync(join(tmpdir(), 'wss-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runSmoke(out: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/run.ts'), '--smoke', '--out', out], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // About a minute and a half on a quiet machine; a shared, saturated one has taken 3 minutes.
    const timer = setTimeout(() => child.kill('SIGKILL'), 340_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const BODY = 'the quick brown fox [a-z0-9 ]{44}';
/** The echo a variant sends back for "<prefix>-<n>": the session text mode, or a Socket.IO event (with a recovery offset on e). */
const ECHO_OF: Record<string, (prefix: string) => RegExp> = {
  a: (p) => new RegExp(`^${p}-\\d+: ${BODY}$`),
  b: (p) => new RegExp(`^${p}-\\d+: ${BODY}$`),
  c: (p) => new RegExp(`^${p}-\\d+: ${BODY}$`),
  d: (p) => new RegExp(`^42\\["message","${p}-\\d+: ${BODY}"\\]$`),
  e: (p) => new RegExp(`^42\\["message","${p}-\\d+: ${BODY}","[0-9A-Za-z_.-]+"\\]$`),
};
/** Every echo was compared byte for byte with what it must be; the sample shows one; the short heartbeats were answered. */
function expectEchoed(variant: string, run: Run, prefix: string): void {
  expect(run.echoes, variant).toBeGreaterThan(0);
  expect(run.badEchoes, variant).toBe(0);
  expect(run.errors, variant).toEqual([]);
  expect(run.sample, variant).toMatch(ECHO_OF[variant]!(prefix));
  if (variant !== 'b' && variant !== 'c') expect(run.pongs, variant).toBeGreaterThan(0);
}

describe('npm run bench -- --smoke', () => {
  it('measures every variant and target and writes a well-formed report', { timeout: 360_000 }, async () => {
    if (!existsSync(SERVER_MAIN)) {
      const built = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
      expect(built.status, built.stdout + built.stderr).toBe(0);
    }
    const out = join(dir, 'smoke.json');
    const { code, output } = await runSmoke(out);
    expect(code, output).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;

    expect(report).toMatchObject({ version: 1, smoke: true, passed: true, problems: [] });
    expect(report.targets.map((t) => t.name)).toEqual([
      'throughput', 'throughput-vs-socketio',
      'latency', 'latency-vs-ws', 'cpu-per-message', 'latency-vs-socketio',
      'memory', 'history', 'startup',
      'stall-search', 'search-small-session', 'stall-export', 'stall-retention', 'stall-backup', 'stall-metrics',
      'cross-node-latency',
    ]);
    for (const t of report.targets) {
      // A figure that could not be had (a rate not kept) is written "Infinity" or "NaN": JSON has neither.
      expect(typeof t.figure === 'number' || ['Infinity', 'NaN'].includes(t.figure), `${t.name}: ${t.figure}`).toBe(true);
      expect(typeof t.met).toBe('boolean');
    }

    const runs = report.throughput.reps[0]!.runs;
    expect(Object.keys(runs).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const [variant, run] of Object.entries(runs)) {
      expectEchoed(variant, run, 'bench-0');
      expect(run.latency.p99, variant).toBeGreaterThan(0);
    }
    for (const ratio of ['a/b', 'a/d', 'a/e']) expect(report.throughput.medians.ratios[ratio], ratio).toBeGreaterThan(0);

    const paced = report.latency.reps[0]!.runs;
    expect(Object.keys(paced).sort()).toEqual(['a', 'b', 'd', 'e']);
    for (const [variant, run] of Object.entries(paced)) {
      expectEchoed(variant, run, 'paced-0');
      expect(run.cpuUsPerMsg, variant).toBeGreaterThan(0);
    }
    // Figures are not judged in a smoke (a busy machine may not keep even its rate): only that each is there.
    for (const ratio of ['p99 a/b', 'p99 a/d', 'p99 a/e', 'cpu/msg a/b']) expect(report.latency.medians.ratios, ratio).toHaveProperty([ratio]);
    expect(report.memory.runs.a!.connections).toBeGreaterThan(0);
    expect(Number.isFinite(report.memory.ratio)).toBe(true);
    expect(report.history.http.p99).toBeGreaterThan(0);
    expect(report.history.store.p99).toBeGreaterThan(0);
    expect(report.history.bare.p99).toBeGreaterThan(0);
    expect(report.history.ratio).toBeGreaterThan(0);
    expect(report.history.reps).toHaveLength(3);
    expect(report.startup.medianBigMs).toBeGreaterThan(0);
    expect(report.startup.medianEmptyMs).toBeGreaterThan(0);

    // The stall target: the echo beside each side load, every load seen doing its work, answers checked.
    const stall = report.stall.reps[0]!;
    expect(report.stall.fixture.messages).toBe(3001);
    expect(Object.keys(stall.runs).sort()).toEqual(['backup', 'export', 'metrics', 'none', 'retention', 'search']);
    for (const [kind, run] of Object.entries(stall.runs)) {
      expect(run.echoes, kind).toBeGreaterThan(0);
      expect(run.badEchoes, kind).toBe(0);
      expect(run.sample, kind).toMatch(new RegExp(`^echo-0-\\d+: ${BODY}$`));
      expect(run.sideLoad.errors, kind).toEqual([]);
      if (kind !== 'none') expect(run.sideLoad.completed, kind).toBeGreaterThan(0);
    }
    expect(stall.runs.search!.sideLoad.statuses['200']).toBeGreaterThan(0);
    expect(stall.runs.export!.sideLoad.detail.bytes).toBeGreaterThan(0);
    expect(stall.runs.retention!.sideLoad.detail.rowsDeletedAtLeast).toBeGreaterThan(0);
    expect(stall.runs.backup!.sideLoad.statuses['exit 0']).toBeGreaterThan(0);
    expect(stall.runs.none!.smallSearch).toMatchObject({ errors: [] });
    expect(stall.runs.none!.smallSearch!.samples).toBeGreaterThan(0);
    expect(report.stall.medians.smallSearchP99).toBeGreaterThan(0);
    for (const kind of ['search', 'export', 'retention', 'backup', 'metrics']) expect(stall.ratios, kind).toHaveProperty([kind]);

    // Issue 14: one node on each store, and two nodes on one PostgreSQL database.
    const stores = report.postgres.reps[0]!;
    expect(Object.keys(stores.runs).sort()).toEqual(['postgres', 'sqlite']);
    for (const [store, run] of Object.entries(stores.runs)) {
      expectEchoed('a', run.throughput, 'pg-sat-0');
      expect(run.paced, store).toHaveLength(report.postgres.rates.length);
      run.paced.forEach((paced, i) => expectEchoed('a', paced, `pg-r${report.postgres.rates[i]}-0`));
    }
    expect(stores.ratios['msgs/s postgres/sqlite']).toBeGreaterThan(0);
    const crossNode = report['cross-node'].reps[0]!;
    expect(crossNode.errors).toEqual([]);
    expect(crossNode.sent).toBeGreaterThan(0);
    expect(crossNode.received).toBe(crossNode.sent);
    expect(crossNode.latency.p99).toBeGreaterThan(0);
    // Pinned (taskset is installed with the test dependencies): the nodes kept their core busy some of the time, never past all of it.
    expect(crossNode.serverCoreBusy).toBeGreaterThan(0);
    expect(crossNode.serverCoreBusy).toBeLessThanOrEqual(1);
  });
});
