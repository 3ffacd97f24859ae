import { dirname, join } from 'node:path';
import type { BenchOptions } from '../cli.js';
import { stallFixture, type Fixture } from '../fixtures.js';
import { quietly } from '../lib/proc.js';
import { backupCli } from '../lib/server-process.js';
import { median, medianOfRatios, round3 } from '../lib/stats.js';
import { runPaced, runProblems, type PacedResult } from '../load/generator.js';
import { count, heading, progress, table, target, type TargetResult } from '../report.js';
import { forkSideLoad, type ForkedSideLoad } from '../side-load/process.js';
import type { SideLoadKind, SideLoadReport, SideLoadSpec } from '../side-load/spec.js';
import { timeSmallSessionSearch, type SearchTimings } from './small-session-search.js';
import { withServer, type ServerRun } from './with-server.js';

/** The other client's echo: this many connections, this many messages a second in all. */
const ECHO_CONNECTIONS = 10;
const ECHO_RATE = 1000;
const KEPT = 0.95;
/** HTTP clients of each side load at once (issue 13: 4 searchers; 16 scrapers of /metrics). */
const CLIENTS: Record<SideLoadKind, number> = { none: 0, search: 4, export: 1, retention: 4, backup: 1, metrics: 16 };
/** What each side load is, for the report. */
const WHAT: Record<SideLoadKind, string> = {
  none: 'nothing else',
  search: `${CLIENTS.search} clients searching in a loop (1- and 2-letter prefixes, words)`,
  export: `${CLIENTS.export} client exporting the big session (NDJSON) in a loop`,
  retention: 'a retention pass: every small session cut to 1 message, one deleted',
  backup: '`npm run backup` (backup-cli.js) in a loop',
  metrics: `${CLIENTS.metrics} clients scraping /metrics in a loop`,
};
/** Echo p99 beside a side load over echo p99 alone, at most (issue 13 point 3). */
const RATIO_LIMIT = 1.5;
/** p99 of a search in a session of one message, at most, ms. */
const SMALL_SEARCH_LIMIT_MS = 5;

export interface StallRun extends PacedResult {
  attempts?: number;
  kind: SideLoadKind;
  kept: boolean;
  sideLoad: SideLoadReport;
  /** In the `none` arm only: searches in the one-message session, nothing else running. */
  smallSearch?: SearchTimings;
}

export interface StallReport {
  fixture: Omit<Fixture, 'sessions'>;
  rate: number;
  connections: number;
  loads: Record<SideLoadKind, string>;
  reps: { rep: number; order: SideLoadKind[]; runs: Record<string, StallRun>; ratios: Record<string, number> }[];
  medians: { ratios: Record<string, number>; p99: Record<string, number>; smallSearchP99: number };
}

/** The fixture's sessions: [big, small..., one]. Which of them each side load acts on. */
function sideSessions(kind: SideLoadKind, fixture: Fixture): SideLoadSpec['sessions'] {
  const [big, ...rest] = fixture.sessions;
  const small = rest.slice(0, -1);
  if (kind === 'search') return [big!, ...small.slice(0, CLIENTS.search - 1)];
  if (kind === 'export') return [big!];
  if (kind === 'retention') return small;
  return [];
}

/** One arm on a running server: the side load started, the echo measured beside it, the load stopped. */
async function measureArm(kind: SideLoadKind, options: BenchOptions, fixture: Fixture, forked: ForkedSideLoad, run: ServerRun): Promise<StallRun> {
  const { server, sessions, dialect, dbPath } = run;
  const side = await forked.start({
    kind,
    httpPort: server.httpPort!,
    sessions: sideSessions(kind, fixture),
    clients: CLIENTS[kind],
    ...(kind === 'backup' ? { backup: { cli: backupCli(), dbPath, destination: join(dirname(dbPath), 'backup.db') } } : {}),
  });
  const echo = await runPaced(
    { port: server.wsPort, sessions, bytes: options.bytes, window: 1, dialect },
    { warmupMs: Math.min(options.warmupMs, 2000), durationMs: options.durationMs, rate: ECHO_RATE },
    server.cpuSeconds,
    side.cpuSeconds,
  ).catch(async (err: unknown) => {
    await side.stop().catch(() => undefined);
    throw err;
  });
  const sideLoad = await side.stop();
  const smallSearch = kind === 'none' ? await timeSmallSessionSearch(server.httpPort!, fixture.sessions.at(-1)!, options.smoke) : undefined;
  return { ...echo, kind, kept: echo.msgsPerSec >= KEPT * ECHO_RATE, sideLoad, ...(smallSearch ? { smallSearch } : {}) };
}

/** An arm on a fresh copy of the fixture; the side-load process starts up while the server does. */
async function runArm(kind: SideLoadKind, options: BenchOptions, fixture: Fixture, rep: number): Promise<StallRun> {
  const ids = Array.from({ length: ECHO_CONNECTIONS }, (_, i) => `echo-${rep}-${i}`);
  const forked = forkSideLoad();
  try {
    return await withServer('a', options, ids, (run) => measureArm(kind, options, fixture, forked, run), {
      database: fixture.path,
      smokeHeartbeats: false,
      // The retention load sets limits and lets the periodic pass enforce them (a delete purges only its own rows).
      env: kind === 'retention' ? { RETENTION_INTERVAL_MS: '200' } : {},
    });
  } finally {
    await forked.kill();
  }
}

/** p99 beside a load over p99 alone, one repetition: +Infinity when the echo beside it lost the rate, NaN when the echo alone did. */
function ratioOf(load: StallRun, alone: StallRun): number {
  if (!load.kept) return Infinity;
  if (!alone.kept) return NaN;
  return round3(load.latency.p99 / alone.latency.p99);
}

function problemsOf(report: StallReport, smoke: boolean): string[] {
  return report.reps.flatMap(({ rep, runs }) =>
    Object.values(runs).flatMap((run) => {
      const label = `stall rep ${rep} ${run.kind}`;
      const problems = [...runProblems(`${label} echo`, run), ...run.sideLoad.errors.map((e) => `${label}: ${e}`)];
      // A smoke run checks that each load did its work; a full run may see an operation outlast the window.
      if (smoke && run.kind !== 'none' && run.sideLoad.completed === 0) problems.push(`${label}: the side load completed nothing`);
      if (run.smallSearch) problems.push(...run.smallSearch.errors.map((e) => `${label} search in the one-message session: ${e}`));
      return problems;
    }),
  );
}

/**
 * Issue 13 point 3: does anything stall the echoes? Another client's echo at
 * a fixed 1,000 msg/s on a database of `stallMessages` messages, alone and
 * beside each side load, interleaved (order rotated each repetition); the
 * median per-repetition ratio of echo p99 beside the load over echo p99
 * alone. With the echo alone, searches in the one-message session, timed.
 */
export async function stallTarget(options: BenchOptions): Promise<{ report: StallReport; targets: TargetResult[]; problems: string[] }> {
  heading(
    `stall: echo at a fixed ${ECHO_RATE} msg/s over ${ECHO_CONNECTIONS} connections beside each side load, on a database of ` +
      `${options.stallMessages.toLocaleString('en-US')} messages, ${count(options.stallReps, 'interleaved repetition')}`,
  );
  const fixture = stallFixture(join(options.resultsDir, 'fixtures'), options.stallMessages);
  progress(`fixture ${fixture.path} (${Math.round(fixture.bytes / 2 ** 20)} MiB, ${fixture.sessions.length} sessions, ${fixture.cached ? 'cached' : `built in ${fixture.buildSeconds}s`})`);
  const reps: StallReport['reps'] = [];
  /** The arms: the echo alone first, then beside each side load asked for (--stall-loads). */
  const kinds = options.stallArms;
  const loads = kinds.filter((kind) => kind !== 'none');
  for (let rep = 0; rep < options.stallReps; rep++) {
    const order = kinds.map((_, i) => kinds[(i + rep) % kinds.length]!);
    const runs: Record<string, StallRun> = {};
    for (const kind of order) {
      progress(`rep ${rep + 1}/${options.stallReps}: echo beside ${WHAT[kind]}`);
      runs[kind] = await quietly(() => runArm(kind, options, fixture, rep));
    }
    const ratios = Object.fromEntries(loads.map((kind) => [kind, ratioOf(runs[kind]!, runs.none!)]));
    reps.push({ rep: rep + 1, order, runs, ratios });
    console.log(`\nrepetition ${rep + 1}`);
    console.log(
      table(
        ['beside', 'echo msg/s', 'p50 ms', 'p99 ms', 'max ms', 'p99 ratio', 'server CPU', 'side CPU', 'other CPU', 'side ops', 'side p99 ms', 'side answers'],
        kinds.map((kind) => {
          const r = runs[kind]!;
          const s = r.sideLoad;
          const answers = Object.entries(s.statuses).map(([k, n]) => `${k}:${n}`).join(' ') || '-';
          return [
            `${kind}${r.kept ? '' : ' (rate NOT kept)'}`, r.msgsPerSec, r.latency.p50, r.latency.p99, r.latency.max, kind === 'none' ? '' : ratios[kind]!,
            r.serverCpu, r.helperCpu ?? NaN, r.otherCpu, s.completed, s.durationMs?.p99 ?? '-', answers,
          ];
        }),
      ),
    );
    const small = runs.none!.smallSearch!;
    console.log(`search in the one-message session (nothing else running): ${small.samples} searches, p50 ${small.p50} ms, p99 ${small.p99} ms, max ${small.max} ms`);
    for (const kind of kinds) {
      const detail = Object.entries(runs[kind]!.sideLoad.detail);
      if (detail.length > 0) console.log(`${kind}: ${detail.map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}`);
    }
  }
  const medians: StallReport['medians'] = {
    ratios: Object.fromEntries(loads.map((kind) => [kind, round3(medianOfRatios(reps.map((r) => r.ratios[kind]!)))])),
    p99: Object.fromEntries(kinds.map((kind) => [kind, round3(median(reps.map((r) => r.runs[kind]!.latency.p99)))])),
    smallSearchP99: round3(median(reps.map((r) => r.runs.none!.smallSearch!.p99))),
  };
  console.log(`\nmedian ratios (echo p99 beside / alone, alone: ${medians.p99.none} ms): ${Object.entries(medians.ratios).map(([k, v]) => `${k}=${v}`).join('  ')}`);
  const { sessions: _sessions, ...fixtureInfo } = fixture;
  const report: StallReport = { fixture: fixtureInfo, rate: ECHO_RATE, connections: ECHO_CONNECTIONS, loads: WHAT, reps, medians };
  const beside = (kind: SideLoadKind, name: string) =>
    target(
      name,
      `echo p99 at ${ECHO_RATE} msg/s beside ${WHAT[kind]} / alone, median of ${options.stallReps} per-repetition ratios (${medians.p99[kind]} vs ${medians.p99.none} ms)`,
      medians.ratios[kind]!,
      '<=',
      RATIO_LIMIT,
      'x',
    );
  return {
    report,
    // Only the side loads that ran (--stall-loads): a load left out is not reported.
    targets: [
      ...loads.filter((kind) => kind === 'search').map((kind) => beside(kind, `stall-${kind}`)),
      target(
        'search-small-session',
        `p99 of a search in a session of 1 message on a database of ${fixture.messages} messages, nothing else running, median of ${options.stallReps}`,
        medians.smallSearchP99,
        '<=',
        SMALL_SEARCH_LIMIT_MS,
        'ms',
      ),
      ...loads.filter((kind) => kind !== 'search').map((kind) => beside(kind, `stall-${kind}`)),
    ],
    problems: problemsOf(report, options.smoke),
  };
}
