import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '../domain/model.js';
import { createLogger } from '../logger.js';
import { createRetentionRunner, type RetentionBatches } from '../store/retention-runner.js';

const logger = createLogger({ level: 'silent', format: 'json' });
const session: SessionRecord = { pk: 1, id: 's', tokenHash: Buffer.alloc(32), createdAt: 0, epoch: 'e', retention: { maxAgeMs: null, maxMessages: null } };

/** Turns of the event loop until `done()` holds, at most 1,000: the runner's next step is a few turns away, never a timer here. */
async function turnsUntil(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1000 && !done(); turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(done()).toBe(true);
}

/**
 * The pass's engine-independent part (retention-runner.ts), over batches
 * that are plain functions: the order of its calls, which no engine can
 * show. Each engine's own batches run in retention.test.ts and the store
 * contract.
 */
/** Batches over one session: `deleteBatch` and `settle` as given, no deleted sessions. */
const oneSession = (deleteBatch: RetentionBatches['deleteBatch'], settle?: RetentionBatches['settle']): RetentionBatches => ({
  deletedSessions: () => [],
  purgeBatch: () => 0,
  pageAfter: (after) => (after === 0 ? [session] : []),
  deleteBatch,
  ...(settle ? { settle } : {}),
});

describe('the retention pass (retention-runner.ts)', () => {
  it('waits for what a batch left to other threads (settle) before the next batch, and a stop ends a pass waiting on one', async () => {
    let left = 1000;
    const deletes: number[] = [];
    const settles: number[] = [];
    let settled: (() => void) | undefined;
    const batches = oneSession(
      () => {
        const removed = Math.min(100, left);
        left -= removed;
        deletes.push(removed);
        return removed;
      },
      (removed) => {
        settles.push(removed);
        return new Promise<void>((resolve) => (settled = resolve));
      },
    );
    // A busy share of 1: no rest between batches, so only the settle holds the next one back.
    const runner = createRetentionRunner(batches, { maxAgeMs: 0, maxMessages: 1, busyShare: 1, now: () => 0 }, logger);
    const pass = runner.runOnce();
    await turnsUntil(() => settles.length === 1);
    for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(deletes).toEqual([100]); // 50 turns of the event loop later, no second batch: the first one's work is unsettled
    settled!();
    await turnsUntil(() => settles.length === 2);
    expect(deletes).toEqual([100, 100]);
    expect(settles).toEqual([100, 100]);
    // Stopped while waiting on a settle that never ends: the pass ends after that batch, and stop() returns.
    await runner.stop();
    expect(await pass).toBe(200);
    expect(deletes).toEqual([100, 100]);
  });

  it('tells settle the share of the time the pass has: its start share, rising to 1 over rampMs', async () => {
    let left = 300;
    const shares: number[] = [];
    const batches = oneSession(
      () => {
        const removed = Math.min(100, left);
        left -= removed;
        return removed;
      },
      (_removed, share) => void shares.push(share),
    );
    // An hour's ramp: the share stays at its start; a ramp of 5 ms: all of the time once a settle has taken longer.
    expect(await createRetentionRunner(batches, { maxAgeMs: 0, maxMessages: 1, busyShare: 0.5, rampMs: 3_600_000, now: () => 0 }, logger).runOnce()).toBe(300);
    expect(shares).toHaveLength(3);
    for (const share of shares) expect(share).toBeCloseTo(0.5, 3);
    shares.length = 0;
    left = 300;
    // Each settle takes 10 ms: past a ramp of 5 ms, the pass has all of the time.
    batches.settle = (_removed, share) => (shares.push(share), new Promise<void>((resolve) => setTimeout(resolve, 10)));
    const short = createRetentionRunner(batches, { maxAgeMs: 0, maxMessages: 1, busyShare: 0.5, rampMs: 5, now: () => 0 }, logger);
    expect(await short.runOnce()).toBe(300);
    expect(shares).toHaveLength(3);
    expect(shares[0]).toBeLessThan(1);
    expect(shares.slice(1)).toEqual([1, 1]);
  });

  it('a stop ends the rest after a batch too, however long the batch and its settle made it', async () => {
    let settled!: () => void;
    const settledOnce = new Promise<void>((resolve) => (settled = resolve));
    // 20 ms of settling at a share of 0.01: a rest of 99 x that, about 2 s, follows.
    const batches = oneSession(() => 100, () => new Promise<void>((resolve) => setTimeout(() => (settled(), resolve()), 20)));
    const runner = createRetentionRunner(batches, { maxAgeMs: 0, maxMessages: 1, busyShare: 0.01, now: () => 0 }, logger);
    const pass = runner.runOnce();
    await settledOnce;
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve)); // into the rest
    const stopping = performance.now();
    await runner.stop();
    expect(await pass).toBe(100);
    expect(performance.now() - stopping).toBeLessThan(1000); // not the rest's 2 s: a shutdown has 5 s in all
  });

  it('keeps nothing of a batch once it and its settle are over (40,000 batches, heap measured after a full GC)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let left = 40_000;
    const batches = oneSession(() => (left > 0 ? (left--, 50) : 0), () => Promise.resolve());
    const runner = createRetentionRunner(batches, { maxAgeMs: 0, maxMessages: 1, busyShare: 1, now: () => 0 }, logger);
    gc();
    const before = process.memoryUsage().heapUsed;
    expect(await runner.runOnce()).toBe(2_000_000);
    gc();
    // Measured before the stop: a race against a promise that lives until the stop kept 310 bytes a batch (12 MB here).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(4 * 2 ** 20);
    await runner.stop();
  });

  it('asks for no settle after a batch that removed nothing', async () => {
    const settles: number[] = [];
    const batches: RetentionBatches = {
      deletedSessions: () => [],
      purgeBatch: () => 0,
      pageAfter: (after) => (after === 0 ? [session] : []),
      deleteBatch: () => 0,
      settle: async (removed) => void settles.push(removed),
    };
    expect(await createRetentionRunner(batches, { maxAgeMs: 0, maxMessages: 1, now: () => 0 }, logger).runOnce()).toBe(0);
    expect(settles).toEqual([]);
  });
});
