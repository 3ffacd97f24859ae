/**
 * The short form of `npm run test:cluster` (issue 14, point 3): three built
 * nodes behind HAProxy (deploy/haproxy.cfg) on a private PostgreSQL, a seeded
 * fault loop, the quiet tail; on each bus. And the harness's checks must
 * fail when a guarantee breaks: the quiet tail with the heal timer off, and
 * an acknowledged message missing from the store.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CrashClient } from '../../scripts/crash/client.js';
import { checkHistory } from '../../scripts/crash/verify.js';
import { formatReport, runCluster, SHORT_OPTIONS, type ClusterReport } from '../../scripts/cluster/run.js';

const MAIN = resolve(import.meta.dirname, '../../dist/server/main.js');

async function shortRun(overrides: Parameters<typeof runCluster>[0]): Promise<{ report: ClusterReport; summary: string }> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test builds before vitest)`);
  const report = await runCluster({ ...SHORT_OPTIONS, ...overrides });
  const summary = formatReport(report);
  // The figures (sent / acked / stored / lost / duplicated / healed, latency) in the test log.
  console.warn(summary.split('\n').slice(0, 6).join('\n'));
  return { report, summary };
}

describe.sequential('cluster run (3 nodes behind HAProxy, faults, quiet tail)', () => {
  it.each(['postgres', 'redis'] as const)('BUS=%s: every guarantee holds through node kills and bus kills', async (bus) => {
    const { report, summary } = await shortRun({ bus });
    expect(report.failures, summary).toEqual([]);
    expect(report.acknowledged, summary).toBeGreaterThan(0);
    expect(report.stored, summary).toBe(report.acknowledged);
    expect([report.lost, report.duplicated], summary).toEqual([0, 0]);
    expect(report.faults.nodeKills + report.faults.busKills, summary).toBe(SHORT_OPTIONS.faults);
    expect(report.quietTail?.ok, summary).toBe(true);
    expect(report.healed, summary).toBeGreaterThan(0);
    expect(report.exits.map((e) => e.code), summary).toEqual([0, 0, 0]);
    expect(report.latency.samples, summary).toBeGreaterThan(0);
    expect(report.ok, summary).toBe(true);
  }, 120_000);

  it('with the heal timer off, the quiet tail is not healed and the run fails on that check', async () => {
    const { report, summary } = await shortRun({ bus: 'postgres', heal: false, faults: 0 });
    expect(report.ok, summary).toBe(false);
    const failed = report.checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failed, summary).toContain('quiet tail healed within two heal intervals');
    // Nothing else broke: the observers left behind are the quiet tail's.
    expect(failed.filter((name) => !/quiet tail|last_seq/.test(name)), summary).toEqual([]);
    expect(report.quietTail?.detail, summary).toMatch(/not reached within/);
    expect([report.lost, report.duplicated], summary).toEqual([0, 0]);
  }, 120_000);
});

describe('the run\'s store checks', () => {
  it('count an acknowledged message missing from the store as lost, and one stored twice as duplicated', () => {
    const client = new CrashClient({
      name: 'w',
      sessionId: 's',
      token: 't',
      wsBase: 'ws://127.0.0.1:1',
      window: 1,
      maxMessages: 0,
      deadline: 0,
      serverUp: () => Promise.resolve(),
      maxConnectAttempts: 1,
      onAck: () => undefined,
      eager: false,
    });
    for (const [id, seq] of [['w-1', 1], ['w-2', 2]] as const) {
      client.sent.set(id, `body ${seq}`);
      client.acked.set(id, seq);
      client.seen.set(id, { seq, text: `s: body ${seq}` });
    }
    const stored = { sessionId: 's', seq: 1, clientId: 'w-1', body: 'body 1' };
    const lost = checkHistory([stored], 'ok', ['s'], [client]);
    expect(lost.lost).toBe(1);
    expect(lost.checks.find((c) => c.name === 'every echoed message stored exactly once')?.ok).toBe(false);
    const twice = checkHistory([stored, { ...stored, seq: 2 }, { sessionId: 's', seq: 3, clientId: 'w-2', body: 'body 2' }], 'ok', ['s'], [client]);
    expect(twice.duplicated).toBe(1);
    expect(twice.checks.filter((c) => !c.ok).map((c) => c.name)).toContain('no client id stored twice');
  });
});
