import { parseArgs } from 'node:util';

/** Settings of one cluster run; the CLI flags map onto these (`npm run test:cluster -- --help`). */
export interface ClusterOptions {
  /** The bus between the nodes (PostgreSQL is always the store). */
  bus: 'postgres' | 'redis';
  /** Seeds the fault loop; 0 picks one (printed, so a run can be replayed with --seed). */
  seed: number;
  /** Faults in the loop (node SIGKILL + restart, or a bus connection killed). */
  faults: number;
  /** Load between two faults: a random time in [minIntervalMs, maxIntervalMs]. */
  minIntervalMs: number;
  maxIntervalMs: number;
  /** Sessions under load; each has writers and observers on every node. */
  sessions: number;
  /** Unacknowledged messages per writer. */
  window: number;
  /** Least time between a writer's new messages, ms; 0: as fast as the window allows (saturating). */
  sendIntervalMs: number;
  /** Cap on new messages per writer (the load is bounded in count too). */
  maxMessagesPerWriter: number;
  /** The nodes' HEAL_INTERVAL_MS, and what the checks hold observers to. */
  healIntervalMs: number;
  /** false: the nodes run with the heal timer in effect off (an hour), and the quiet-tail check must fail. */
  heal: boolean;
  /** Load without faults after the loop, for the steady cross-node latency. */
  steadyMs: number;
  /** The whole run, start to verification. */
  deadlineMs: number;
  /** Progress lines; silent by default. */
  log(line: string): void;
}

export const DEFAULT_OPTIONS: ClusterOptions = {
  bus: 'postgres',
  seed: 0,
  faults: 12,
  minIntervalMs: 200,
  maxIntervalMs: 900,
  sessions: 6,
  window: 10,
  sendIntervalMs: 0,
  maxMessagesPerWriter: 100_000,
  healIntervalMs: 1000,
  heal: true,
  steadyMs: 3000,
  deadlineMs: 120_000,
  log: () => undefined,
};

/** The short form `npm test` runs (server/test/cluster-run.test.ts): a few seconds of load. */
export const SHORT_OPTIONS: Partial<ClusterOptions> = {
  faults: 4,
  minIntervalMs: 150,
  maxIntervalMs: 400,
  sessions: 3,
  // 100 msg/s a writer, 600 in all: npm test runs other timing-sensitive suites beside it.
  sendIntervalMs: 10,
  healIntervalMs: 500,
  steadyMs: 1000,
  deadlineMs: 60_000,
};

/** HEAL_INTERVAL_MS of the nodes when the heal timer is "off": the setting has no off, an hour is never reached. */
export const HEAL_OFF_MS = 3_600_000;

export const CLUSTER_USAGE = [
  'Usage: npm run test:cluster -- [options]',
  '  --bus postgres|redis  the bus between the nodes (default postgres)',
  '  --seed N              replay the fault loop of a run (its seed is printed)',
  '  --short               the short form npm test runs',
  '  --faults N            faults in the loop (default 12)',
  '  --sessions N          sessions under load (default 6)',
  '  --heal-interval MS    the nodes\' HEAL_INTERVAL_MS (default 1000)',
  '  --no-heal             heal timer off: the quiet-tail check must fail (exit 1)',
  '  --deadline MS         the whole run (default 120000)',
].join('\n');

export type ParsedClusterArgs = { help: true } | { help: false; options: Partial<ClusterOptions> };

/** The CLI flags as options; throws one clear line on a bad value. */
export function parseClusterArgs(argv: readonly string[]): ParsedClusterArgs {
  const text = { type: 'string' } as const;
  const { values } = parseArgs({
    args: [...argv],
    options: {
      bus: text,
      seed: text,
      short: { type: 'boolean' },
      faults: text,
      sessions: text,
      'heal-interval': text,
      'no-heal': { type: 'boolean' },
      deadline: text,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true };
  const options: Partial<ClusterOptions> = { ...(values.short ? SHORT_OPTIONS : {}), heal: !values['no-heal'] };
  const whole = (key: keyof ClusterOptions, flag: keyof typeof values, min: number) => {
    const value = values[flag];
    if (typeof value !== 'string') return;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be a whole number >= ${min}, got "${value}"`);
    (options as Record<string, unknown>)[key] = n;
  };
  whole('seed', 'seed', 1);
  whole('faults', 'faults', 0);
  whole('sessions', 'sessions', 1);
  whole('healIntervalMs', 'heal-interval', 50);
  whole('deadlineMs', 'deadline', 10_000);
  if (values.bus !== undefined) {
    if (values.bus !== 'postgres' && values.bus !== 'redis') throw new Error(`--bus must be postgres or redis, got "${values.bus}"`);
    options.bus = values.bus;
  }
  return { help: false, options };
}
