/**
 * `npm run bench`: the load generator and benchmark report. See --help, and
 * bench/README.md for what each target measures.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseOptions, TARGET_NAMES, type BenchOptions, type TargetName } from './cli.js';
import { topSelfTime } from './lib/cpuprofile.js';
import { clkTck, NOISY_CORES, noiseSummary, openFileLimit, pinSelf, setPatience, taskset } from './lib/proc.js';
import { GENERATOR_CORE, removeServerSnapshot, ROOT, SERVER_CORE, serverSnapshotDir, snapshotServer } from './lib/server-process.js';
import { heading, table, targetLine, type TargetResult } from './report.js';
import { crossNodeTarget } from './targets/cross-node.js';
import { historyTarget } from './targets/history.js';
import { latencyTarget } from './targets/latency.js';
import { memoryTarget } from './targets/memory.js';
import { postgresTarget } from './targets/postgres.js';
import { stallTarget } from './targets/stall.js';
import { startupTarget } from './targets/startup.js';
import { throughputTarget } from './targets/throughput.js';

/** A target's figures, its targets, and what makes its figures meaningless (bad echoes, failed side loads). */
type Outcome = { report: unknown; targets: TargetResult[]; problems?: string[] };

const RUNNERS: Record<TargetName, (o: BenchOptions, profileDir?: string) => Promise<Outcome>> = {
  throughput: throughputTarget,
  latency: latencyTarget,
  memory: memoryTarget,
  history: historyTarget,
  startup: startupTarget,
  stall: stallTarget,
  postgres: postgresTarget,
  'cross-node': crossNodeTarget,
};

/** The commit measured, and whether the work tree differed from it. */
function codeVersion(): { commit: string; dirty: boolean } | null {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--', 'server', 'protocol') !== '' };
  } catch {
    return null;
  }
}

/** How this run was started, as a person would type it again. */
function commandLine(): string {
  const script = process.env.npm_lifecycle_event;
  if (!script) return `tsx bench/run.ts ${process.argv.slice(2).join(' ')}`.trim();
  // The npm script's own arguments (bench:smoke's --smoke) come first; what follows was typed after `--`.
  const own = (process.env.npm_lifecycle_script ?? '').split('bench/run.ts')[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
  const typed = process.argv.slice(2 + own.length).join(' ');
  return `npm run ${script}${typed ? ` -- ${typed}` : ''}`;
}

async function main(): Promise<number> {
  const command = commandLine();
  const parsed = parseOptions(process.argv.slice(2));
  if ('help' in parsed) {
    process.stdout.write(parsed.help);
    return 0;
  }
  const options = parsed;
  const pinned = options.pin && pinSelf(GENERATOR_CORE);
  setPatience(options.patienceMs);
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    taskset: taskset(),
    pinned: pinned ? { generator: GENERATOR_CORE, server: SERVER_CORE } : null,
    clkTck: clkTck(),
    openFileLimit: openFileLimit(),
    code: codeVersion(),
  };
  console.log(`websocket-session bench${options.smoke ? ' (smoke: targets reported, not enforced)' : ''}`);
  console.log(
    `node ${machine.node}, ${machine.cpus} cores (${machine.cpuModel}), ` +
      (pinned ? `generator on core ${GENERATOR_CORE}, server on core ${SERVER_CORE} (taskset)` : 'NOT pinned (taskset missing or --no-pin)') +
      `, ulimit -n ${machine.openFileLimit}` +
      (machine.code ? `, commit ${machine.code.commit.slice(0, 10)}${machine.code.dirty ? ' (server/ or protocol/ changed since)' : ''}` : ''),
  );
  console.log(`command: ${command}`);

  const started = new Date();
  snapshotServer();
  process.once('exit', removeServerSnapshot);
  process.once('SIGINT', () => process.exit(130));
  const results: Record<string, unknown> = {};
  const targets: TargetResult[] = [];
  const problems: string[] = [];
  const profileDir = options.profile ? join(options.resultsDir, 'profiles', started.toISOString().replace(/[:.]/g, '-')) : undefined;
  for (const name of TARGET_NAMES) {
    if (!options.only.has(name)) continue;
    const outcome = await RUNNERS[name](options, profileDir);
    results[name] = outcome.report;
    targets.push(...outcome.targets);
    problems.push(...(outcome.problems ?? []));
  }
  // Throughput profiles (a) in its folder; cross-node each node in a folder of its own.
  const profiles: Record<string, ProfileSummary> = {};
  if (profileDir) {
    const wanted: [string, string, string][] = [
      ['throughput', profileDir, 'CPU profile of (a), first repetition'],
      ['cross-node', join(profileDir, 'cross-node', 'node-A'), 'CPU profile of cross-node node A (receives), first repetition'],
      ['cross-node', join(profileDir, 'cross-node', 'node-B'), 'CPU profile of cross-node node B (sends), first repetition'],
    ];
    for (const [name, dir, title] of wanted) {
      const file = options.only.has(name as TargetName) && existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) : undefined;
      if (file) profiles[title] = printProfile(title, join(dir, file));
    }
  }

  // A smoke run checks function, not figures; a full run needs both.
  const passed = problems.length === 0 && (options.smoke || targets.every((t) => t.met));
  const noise = noiseSummary();
  const report = {
    version: 1,
    smoke: options.smoke,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { ...machine, noise: { ...noise, noisyAboveCores: NOISY_CORES } },
    command,
    options: { ...options, only: [...options.only] },
    ...results,
    ...(Object.keys(profiles).length > 0 ? { profiles } : {}),
    targets,
    problems,
    passed,
  };
  mkdirSync(dirname(options.out), { recursive: true });
  // JSON has no Infinity or NaN (a rate not kept, a reference that failed): they are written as strings, not null.
  const finite = (_key: string, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value);
  writeFileSync(options.out, `${JSON.stringify(report, finite, 2)}\n`);

  heading(options.smoke ? 'targets (smoke: not enforced)' : 'targets');
  for (const t of targets) console.log(targetLine(t));
  for (const p of problems) console.log(`PROBLEM ${p}`);
  if (noise.noisy > 0) {
    console.log(
      `WARNING ${noise.noisy} of ${noise.windows} measured windows had other work above ${NOISY_CORES} cores on this machine: ` +
        'their figures, and ratios over them, say more about the machine than about the servers',
    );
  }
  console.log(`\nreport: ${options.out}`);
  if (!passed) {
    const missed = options.smoke ? [] : [`${targets.filter((t) => !t.met).length} target(s) missed`];
    console.log([`${options.smoke ? 'smoke ' : ''}FAILED:`, ...missed, ...(problems.length ? [`${problems.length} problem(s)`] : [])].join(' '));
  }
  return passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(2);
  },
);

type ProfileSummary = ReturnType<typeof topSelfTime> & { file: string };

/** Prints the top functions of a V8 profile of a server under test. */
function printProfile(title: string, file: string): ProfileSummary {
  const snapshot = serverSnapshotDir();
  const profile = { file, ...topSelfTime(file, ROOT, 10, snapshot ? [[`${snapshot}/`, 'dist/']] : []) };
  heading(`${title}: top ${profile.functions.length} by self time (${profile.totalMs} ms busy, ${profile.idleMs} ms idle)`);
  console.log(table(['function', 'location', 'self ms', '% busy'], profile.functions.map((f) => [f.function, f.location, f.selfMs, f.percent])));
  console.log(`profile: ${profile.file}`);
  return profile;
}
