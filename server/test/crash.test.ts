import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReport, runCrashTest } from '../../scripts/crash-test.js';

const MAIN = resolve(import.meta.dirname, '../../dist/server/main.js');

/** The short form of `npm run test:crash`: the built server killed with SIGKILL under load. */
describe('crash test (SIGKILL under load)', () => {
  it('loses and duplicates nothing acknowledged across 3 kills', async () => {
    if (!existsSync(MAIN)) {
      throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test builds before vitest)`);
    }
    const report = await runCrashTest({
      kills: 3,
      clients: 4,
      sessions: 2,
      window: 10,
      minIntervalMs: 100,
      maxIntervalMs: 400,
      deadlineMs: 40_000, // a bound for a loaded CI machine; a quiet one takes about 4 s
    });
    const summary = formatReport(report);
    // The figures (sent / acknowledged / stored / lost / duplicated, kills, duration) in the test log.
    console.warn(summary.split('\n').slice(0, 3).join('\n'));
    expect(report.failures, summary).toEqual([]);
    expect(report.lost, summary).toBe(0);
    expect(report.duplicated, summary).toBe(0);
    expect(report.acknowledged, summary).toBeGreaterThan(0);
    expect(report.kills, summary).toBe(3);
    expect(report.integrity, summary).toBe('ok');
    expect(report.finalExit, summary).toEqual({ code: 0, signal: null });
    expect(report.ok, summary).toBe(true);
  }, 60_000);
});
