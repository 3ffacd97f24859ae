import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SessionRecord } from '../../domain/model.js';
import type { DomainLogger, RetentionRunner } from '../../domain/ports.js';
import { effectiveLimits, type DeploymentRetention, type EffectiveLimits } from '../../domain/retention-policy.js';
import type { Db } from './database.js';
import type { SqliteMessageLog } from './message-log.js';
import type { SessionTable } from './sessions.js';

export interface RetentionOptions extends DeploymentRetention {
  /** Rows deleted per transaction: small, so an echo never waits long behind one. */
  batchSize: number;
  /** The clock; tests drive it. */
  now(): number;
}

export interface RetentionDeps {
  db: Db;
  sessions: SessionTable;
  messages: Pick<SqliteMessageLog, 'lastSeqNow'>;
  logger: DomainLogger;
}

const SESSIONS_PER_PAGE = 200;

/**
 * Deletes messages past their age or count limit, oldest first, and the rows
 * of deleted sessions, one small transaction at a time with a turn of the
 * event loop in between. The session's seq floor records what was removed,
 * so seqs never restart.
 */
export function createRetention({ db, sessions, messages, logger }: RetentionDeps, options: RetentionOptions): RetentionRunner {
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

  async function enforce(session: SessionRecord): Promise<number> {
    const limits = effectiveLimits(options, session.retention);
    if (limits.maxAgeMs <= 0 && limits.maxMessages <= 0) return 0;
    let total = 0;
    for (;;) {
      const removed = deleteBatch.immediate(session, limits, options.now());
      total += removed;
      if (removed === 0) return total;
      await nextTurn(); // let echoes through between batches
    }
  }

  let running: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;

  /** Purges the rows of deleted sessions, a batch at a time. */
  async function purgeDeleted(): Promise<number> {
    let total = 0;
    for (const pk of deletedSessions.all()) {
      for (;;) {
        const removed = purgeBatch.immediate(pk);
        total += removed;
        await nextTurn();
        if (removed === 0) break;
      }
    }
    return total;
  }

  /** One pass: deleted sessions' rows, then every session's limits; resolves with the messages deleted. */
  function runOnce(): Promise<number> {
    running ??= (async () => {
      let deleted = await purgeDeleted();
      let after = 0;
      for (;;) {
        const page = sessions.pageAfter(after, SESSIONS_PER_PAGE);
        if (page.length === 0) break;
        for (const session of page) deleted += await enforce(session);
        after = page[page.length - 1]!.pk;
        await nextTurn();
      }
      if (deleted > 0) logger.info({ deleted }, 'retention: old messages deleted');
      return deleted;
    })().finally(() => (running = undefined));
    return running;
  }

  return {
    runOnce,
    start(intervalMs: number): void {
      timer = setInterval(() => {
        runOnce().catch((err: unknown) => logger.error({ err }, 'retention pass failed'));
      }, intervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
