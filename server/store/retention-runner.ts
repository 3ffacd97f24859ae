import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { SessionRecord } from '../domain/model.js';
import type { DomainLogger, RetentionRunner } from '../domain/ports.js';
import { effectiveLimits, type DeploymentRetention, type EffectiveLimits } from '../domain/retention-policy.js';

/** What an engine does for retention, one small batch at a time (sqlite/retention.ts, postgres/retention.ts). */
export interface RetentionBatches {
  /** Keys of deleted sessions whose rows wait for the purge. */
  deletedSessions(): number[] | Promise<number[]>;
  /** Deletes one batch of a deleted session's rows; 0 when none were left, and the session is then done. */
  purgeBatch(sessionPk: number): number | Promise<number>;
  /** Sessions after `afterPk` in key order, `limit` at a time. */
  pageAfter(afterPk: number, limit: number): SessionRecord[] | Promise<SessionRecord[]>;
  /** Deletes one batch of the session's messages past `limits` (oldest first, raising its seq floor); 0 when none are. */
  deleteBatch(session: SessionRecord, limits: EffectiveLimits, now: number): number | Promise<number>;
  /** Runs a pass where only one may run at a time (PostgreSQL: one node, under an advisory lock); default: as is. */
  exclusively?(pass: () => Promise<number>): Promise<number>;
  /**
   * Called after each batch with the rows it removed and the share of the
   * time the pass has now (0 to 1: 1 once it is catching up with a backlog
   * at full speed); returns, when there is something to wait for, a promise
   * that resolves once the work that batch left to other threads is done
   * (SQLite: the search index applying the deletes, the WAL checkpoint of
   * their pages), so the pass's pacing counts that time as its own.
   * Default: nothing to wait for.
   */
  settle?(removed: number, share: number): Promise<void> | undefined;
}

export interface RetentionRunnerOptions extends DeploymentRetention {
  /** The clock; tests drive it. */
  now(): number;
  /**
   * Share of the process's time a pass starts with, 0 to 1 (default 0.25):
   * after a batch that took t ms, it rests t x (1 - share) / share before
   * the next. Batches back to back (a turn of the event loop between them)
   * kept the main thread busy: beside a pass deleting 100,000 rows, an
   * echo's p50 at 1,000 msg/s went from 0.7 to 4 to 8 ms. The share grows
   * with the pass's running time, to all of it after `rampMs`, so a backlog
   * is caught up with at full speed rather than left to grow (at a quarter,
   * about 1,400 rows a second on a 2-vCPU VM: less than one IP may send).
   */
  busyShare?: number;
  /** How long a pass runs before its share reaches 1, in ms (default 30,000). */
  rampMs?: number;
}

const SESSIONS_PER_PAGE = 200;
const defaults = { busyShare: 0.25, rampMs: 30_000 };

/**
 * The retention pass every store runs: the rows of deleted sessions, then
 * each session's age and count limits, a batch at a time, resting between
 * batches (`busyShare`), so echoes never wait long behind it. Concurrent
 * calls share the pass in progress. The purge of deleted sessions runs on
 * its own too (purgeDeleted, after a delete).
 */
export function createRetentionRunner(batches: RetentionBatches, options: RetentionRunnerOptions, logger: DomainLogger): RetentionRunner {
  const base = Math.min(1, Math.max(0.01, options.busyShare ?? defaults.busyShare));
  const rampMs = Math.max(1, options.rampMs ?? defaults.rampMs);
  /**
   * Set by stop(): a pass or purge in progress ends after its current batch
   * (a shutdown must not wait for a backlog); the next start's first pass
   * goes on from there (deleted sessions stay listed until purged).
   */
  let stopping = false;

  /** Aborted by stop(): a shutdown waits for no settle and no rest. */
  const stopper = new AbortController();
  /**
   * `work`, or stop(), whichever comes first. Its abort listener goes once
   * either happens: a race against one promise that lives until the stop
   * kept every settle's reaction alive, 310 bytes a batch.
   */
  const untilStopped = (work: Promise<void>): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const { signal } = stopper;
      if (signal.aborted) return resolve();
      const onStop = () => resolve();
      signal.addEventListener('abort', onStop, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onStop));
    });

  /** The share of the time a pass begun at `since` has at `now`: `base`, growing to 1 over rampMs. */
  const shareAt = (since: number, now: number): number => Math.min(1, base + ((1 - base) * (now - since)) / rampMs);

  /**
   * One batch of a pass that began at `since`, and what it left to other
   * threads (settle), then the rest their time calls for (at least a turn of
   * the event loop). Measured 2026-12-02, a pass on the bench's 400,000
   * messages: counting the batch's time alone, the search worker and the WAL
   * checkpoints took as much again beside it (1.5 GB written to the index in
   * 10 s) and another client's echo p99 at 1,000 msg/s went to 41 to 54 ms;
   * counting theirs too, 10 to 18 ms (README, "Issue 13").
   */
  async function paced(since: number, batch: () => number | Promise<number>): Promise<number> {
    const started = performance.now();
    const removed = await batch();
    const settling = removed > 0 && !stopping ? batches.settle?.(removed, shareAt(since, performance.now())) : undefined;
    if (settling) await untilStopped(settling);
    const now = performance.now();
    const share = shareAt(since, now);
    const restMs = ((now - started) * (1 - share)) / share;
    // A stop ends the rest too: counting a settle, it can be seconds (a shutdown has 5 s in all).
    await (restMs >= 1 && !stopping ? sleep(restMs, undefined, { signal: stopper.signal }).catch(() => undefined) : nextTurn());
    return removed;
  }

  async function purgeAll(since = performance.now()): Promise<number> {
    let total = 0;
    for (const pk of await batches.deletedSessions()) {
      while (!stopping) {
        const removed = await paced(since, () => batches.purgeBatch(pk));
        total += removed;
        if (removed === 0) break;
      }
    }
    return total;
  }

  async function enforce(session: SessionRecord, since: number): Promise<number> {
    const limits = effectiveLimits(options, session.retention);
    if (limits.maxAgeMs <= 0 && limits.maxMessages <= 0) return 0;
    let total = 0;
    while (!stopping) {
      const removed = await paced(since, () => batches.deleteBatch(session, limits, options.now()));
      total += removed;
      if (removed === 0) break;
    }
    return total;
  }

  async function pass(): Promise<number> {
    const since = performance.now();
    let deleted = await purgeAll(since);
    let after = 0;
    while (!stopping) {
      const page = await batches.pageAfter(after, SESSIONS_PER_PAGE);
      if (page.length === 0) break;
      for (const session of page) deleted += await enforce(session, since);
      after = page[page.length - 1]!.pk;
      await nextTurn();
    }
    if (deleted > 0) logger.info({ deleted }, 'retention: old messages deleted');
    return deleted;
  }

  const exclusively = (work: () => Promise<number>): Promise<number> => (batches.exclusively ? batches.exclusively(work) : work());

  let running: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const runOnce = (): Promise<number> => (running ??= exclusively(pass).finally(() => (running = undefined)));

  let purging: Promise<number> | undefined;
  /** A session was deleted while the purge in progress had listed them: it lists again. */
  let purgeAgain = false;
  function purgeDeleted(): Promise<number> {
    if (purging) {
      purgeAgain = true;
      return purging;
    }
    purging = (async () => {
      let total = 0;
      do {
        purgeAgain = false;
        total += await exclusively(purgeAll);
      } while (purgeAgain && !stopping);
      return total;
    })().finally(() => (purging = undefined));
    return purging;
  }

  return {
    runOnce,
    purgeDeleted,
    start(intervalMs) {
      timer = setInterval(() => {
        runOnce().catch((err: unknown) => logger.error({ err }, 'retention pass failed'));
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      stopping = true;
      stopper.abort();
      clearInterval(timer);
      await Promise.all([running?.catch(() => undefined), purging?.catch(() => undefined)]);
    },
  };
}
