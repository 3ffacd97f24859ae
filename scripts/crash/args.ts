import { parseArgs } from 'node:util';
import type { CrashOptions } from './options.js';

export const CRASH_USAGE = [
  'Usage: npm run test:crash -- [options]',
  '  --kills N          SIGKILLs under load (default 5)',
  '  --clients N        writing clients (default 6)',
  '  --sessions N       sessions the clients share (default 3)',
  '  --window N         unacknowledged messages per client (default 20)',
  '  --min-interval MS  least load between kills (default 200)',
  '  --max-interval MS  most load between kills (default 800)',
  '  --deadline MS      the whole run (default 60000)',
  '  --max-messages N   new messages per client at most (default 200000)',
  '  --seed N           replay the random kill timings of a run',
  '  --db-sync MODE     the server\'s DB_SYNC: full (default) or normal',
  '  --keep-data        keep the database folder (always kept on failure)',
].join('\n');

export type ParsedCrashArgs = { help: true } | { help: false; options: Partial<CrashOptions> };

/** The CLI flags as options; throws one clear line on a bad value. */
export function parseCrashArgs(argv: readonly string[]): ParsedCrashArgs {
  const text = { type: 'string' } as const;
  const { values } = parseArgs({
    args: [...argv],
    options: {
      kills: text,
      clients: text,
      sessions: text,
      window: text,
      'min-interval': text,
      'max-interval': text,
      deadline: text,
      'max-messages': text,
      seed: text,
      'db-sync': text,
      'keep-data': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true };

  const options: Partial<CrashOptions> = { keepData: values['keep-data'] ?? false };
  const whole = <K extends keyof CrashOptions>(key: K, flag: keyof typeof values, min: number) => {
    const value = values[flag];
    if (typeof value !== 'string') return;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be a whole number >= ${min}, got "${value}"`);
    (options as Record<string, unknown>)[key] = n;
  };
  whole('kills', 'kills', 0);
  whole('clients', 'clients', 1);
  whole('sessions', 'sessions', 1);
  whole('window', 'window', 1);
  whole('minIntervalMs', 'min-interval', 0);
  whole('maxIntervalMs', 'max-interval', 0);
  whole('deadlineMs', 'deadline', 1000);
  whole('maxMessagesPerClient', 'max-messages', 1);
  whole('seed', 'seed', 1);
  const dbSync = values['db-sync'];
  if (dbSync !== undefined) {
    if (dbSync !== 'full' && dbSync !== 'normal') throw new Error(`--db-sync must be full or normal, got "${dbSync}"`);
    options.dbSync = dbSync;
  }
  if ((options.minIntervalMs ?? 0) > (options.maxIntervalMs ?? Infinity)) {
    throw new Error('--min-interval must not exceed --max-interval');
  }
  return { help: false, options };
}
