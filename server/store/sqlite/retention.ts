import type { SessionRecord } from '../../domain/model.js';
import type { DomainLogger, RetentionRunner } from '../../domain/ports.js';
import type { EffectiveLimits } from '../../domain/retention-policy.js';
import { createRetentionRunner, type RetentionRunnerOptions } from '../retention-runner.js';
import type { Db } from './database.js';
import type { SqliteMessageLog } from './message-log.js';
import { CHUNK_ROWS } from './search-index.js';
import type { SessionTable } from './sessions.js';

export interface RetentionOptions extends RetentionRunnerOptions {
  /** Rows deleted per transaction: small, so an echo never waits long behind one. */
  batchSize: number;
}

export interface RetentionDeps {
  db: Db;
  sessions: SessionTable;
  messages: Pick<SqliteMessageLog, 'lastSeqNow'>;
  logger: DomainLogger;
  /**
   * Waits until the deletes so far are applied by the other threads they
   * leave work to (the search index, the WAL checkpoint); never rejects.
   * Called as SETTLE_ROWS says, so the pass's pacing counts that work
   * (retention-runner.ts). Default: nothing to wait for.
   */
  settle?: () => Promise<void>;
}

/**
 * Rows deleted between two waits for the search index and the checkpoint
 * (settle): after every batch while the pass has less than all of the time
 * (`gentle`), once per index chunk (search-index.ts CHUNK_ROWS) when it is
 * catching up with a backlog at full speed (`catchingUp`). Measured on the
 * bench's retention arm (2026-12-02, interleaved, 2 rounds of 3
 * repetitions): waiting every 2,000 rows, the index and checkpoint work came
 * in bursts and another client's echo p99 at 1,000 msg/s beside the pass
 * was 10.4 to 26.6 ms (42,000 to 44,000 rows deleted); after each batch of
 * 50, 7.5 to 8.9 ms (18,000 to 23,000 rows); every 500, 7.5 to 115 ms. But
 * each wait queues behind the searches in the worker's port: with 4 clients
 * searching a 100,000-message session, a 400,000-row backlog took 95 s
 * waiting after every batch against 34 s every 2,000 rows (quiet: 63 s
 * against 36), so a pass at full speed waits per chunk.
 */
export const SETTLE_ROWS = { gentle: 1, catchingUp: CHUNK_ROWS };

/**
 * Retention's batches on SQLite (the pass is retention-runner.ts): messages
 * past their age or count limit, oldest first, and the rows of deleted
 * sessions, each batch one IMMEDIATE transaction. The session's seq floor
 * records what was removed, so seqs never restart.
 */
export function createRetention({ db, sessions, messages, logger, settle }: RetentionDeps, options: RetentionOptions): RetentionRunner {
  const deleteOlderThan = db
    .prepare<[number, number, number], number>(
      `DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE session_pk = ? ORDER BY seq LIMIT ?)
         AND at < ? RETURNING seq`,
    )
    .pluck();
  const deleteUpTo = db
    .prepare<[number, number, number], number>(
      `DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE session_pk = ? AND seq <= ? ORDER BY seq LIMIT ?)
       RETURNING seq`,
    )
    .pluck();
  const raiseFloor = db.prepare<[number, number]>('UPDATE sessions SET seq_floor = max(seq_floor, ?) WHERE pk = ?');
  const deletedSessions = db.prepare<[], number>('SELECT pk FROM deleted_sessions ORDER BY pk').pluck();
  const purgeRows = db.prepare<[number, number]>('DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE session_pk = ? LIMIT ?)');
  const purged = db.prepare<[number]>('DELETE FROM deleted_sessions WHERE pk = ?');

  /** One batch of a deleted session's rows; when none are left, the session is done. */
  const purgeBatch = db.transaction((sessionPk: number): number => {
    const removed = purgeRows.run(sessionPk, options.batchSize).changes;
    if (removed === 0) purged.run(sessionPk);
    return removed;
  });

  const deleteBatch = db.transaction((session: SessionRecord, limits: EffectiveLimits, now: number) => {
    const { pk } = session;
    let removed: number[] = [];
    if (limits.maxAgeMs > 0) removed = deleteOlderThan.all(pk, options.batchSize, now - limits.maxAgeMs);
    if (removed.length === 0 && limits.maxMessages > 0) {
      const upTo = (messages.lastSeqNow(pk) ?? 0) - limits.maxMessages;
      if (upTo > 0) removed = deleteUpTo.all(pk, upTo, options.batchSize);
    }
    if (removed.length > 0) raiseFloor.run(Math.max(...removed), pk);
    return removed.length;
  });

  let unsettled = 0;
  /** The settle for the runner: a wait once SETTLE_ROWS rows were deleted since the last one, at the pass's share. */
  const settleEvery = settle
    ? (removed: number, share: number): Promise<void> | undefined => {
        unsettled += removed;
        if (unsettled < (share < 1 ? SETTLE_ROWS.gentle : SETTLE_ROWS.catchingUp)) return undefined;
        unsettled = 0;
        return settle();
      }
    : undefined;

  return createRetentionRunner(
    {
      deletedSessions: () => deletedSessions.all(),
      purgeBatch: (pk) => purgeBatch.immediate(pk),
      pageAfter: (afterPk, limit) => sessions.pageAfter(afterPk, limit),
      deleteBatch: (session, limits, now) => deleteBatch.immediate(session, limits, now),
      ...(settleEvery ? { settle: settleEvery } : {}),
    },
    options,
    logger,
  );
}
