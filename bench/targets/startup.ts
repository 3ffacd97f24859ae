import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchOptions } from '../cli.js';
import { startupFixture, type Fixture } from '../fixtures.js';
import { median, round3 } from '../lib/stats.js';
import { dropPageCache, waitForQuiet } from '../lib/proc.js';
import { startBenchServer } from '../lib/server-process.js';
import { count, heading, progress, table, target, type TargetResult } from '../report.js';

export interface StartupReport {
  fixture: Omit<Fixture, 'sessions'>;
  /** spawn -> "listening" line, ms, per repetition. */
  emptyMs: number[];
  bigMs: number[];
  medianEmptyMs: number;
  medianBigMs: number;
  /** After dropping the page cache (null when this machine does not allow it, or in a smoke run). */
  coldEmptyMs: number | null;
  coldBigMs: number | null;
}

async function readyMs(dbPath: string, options: BenchOptions): Promise<number> {
  const server = await startBenchServer({ variant: 'a', dbPath, pin: options.pin });
  await server.stop();
  return round3(server.readyMs);
}

async function emptyReadyMs(options: BenchOptions): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'wss-bench-'));
  try {
    return await readyMs(join(dir, 'app.db'), options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Target 3e: `node dist/server/main.js` from spawn to listening, 1 GB database vs empty. */
export async function startupTarget(options: BenchOptions): Promise<{ report: StartupReport; targets: TargetResult[] }> {
  heading(`start to ready: ${options.startupMiB} MiB database vs an empty one, ${count(options.startupReps, 'repetition')}`);
  const fixture = startupFixture(join(options.resultsDir, 'fixtures'), options.startupMiB);
  progress(`fixture ${fixture.path} (${Math.round(fixture.bytes / 2 ** 20)} MiB, ${fixture.messages.toLocaleString('en-US')} messages, ${fixture.cached ? 'cached' : `built in ${fixture.buildSeconds}s`})`);
  // Node's own first start (module cache on disk) should not count against either.
  await emptyReadyMs(options);
  const emptyMs: number[] = [];
  const bigMs: number[] = [];
  for (let rep = 0; rep < options.startupReps; rep++) {
    await waitForQuiet();
    if (rep % 2 === 0) {
      emptyMs.push(await emptyReadyMs(options));
      bigMs.push(await readyMs(fixture.path, options));
    } else {
      bigMs.push(await readyMs(fixture.path, options));
      emptyMs.push(await emptyReadyMs(options));
    }
  }
  let coldEmptyMs: number | null = null;
  let coldBigMs: number | null = null;
  if (!options.smoke && dropPageCache()) {
    progress('cold starts (page cache dropped before each)');
    await waitForQuiet();
    dropPageCache();
    coldEmptyMs = await emptyReadyMs(options);
    dropPageCache();
    coldBigMs = await readyMs(fixture.path, options);
  }
  const report: StartupReport = {
    fixture: (({ sessions: _s, ...rest }) => rest)(fixture),
    emptyMs,
    bigMs,
    medianEmptyMs: round3(median(emptyMs)),
    medianBigMs: round3(median(bigMs)),
    coldEmptyMs,
    coldBigMs,
  };
  console.log(
    table(
      ['database', 'median ms', 'max ms', 'cold ms'],
      [
        ['empty (created at start)', report.medianEmptyMs, Math.max(...emptyMs), coldEmptyMs ?? 'n/a'],
        [`${Math.round(fixture.bytes / 2 ** 20)} MiB, ${fixture.messages} messages`, report.medianBigMs, Math.max(...bigMs), coldBigMs ?? 'n/a'],
      ],
    ),
  );
  return {
    report,
    targets: [
      target('startup', `spawn -> listening with a ${Math.round(fixture.bytes / 2 ** 20)} MiB database, median of ${options.startupReps} (empty: ${report.medianEmptyMs} ms)`, report.medianBigMs, '<=', 500, 'ms'),
    ],
  };
}
