import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '../logger.js';
import type { Db } from './database.js';
import type { MessageLog } from './message-log.js';
import type { RetentionLimits, SessionRecord, SessionRepo } from './session-repo.js';

export interface RetentionOptions {
  /** The deployment's limits; 0 means none. */
  maxAgeMs: number;
  maxMessages: number;
  /** Rows deleted per transaction: small, so an echo never waits long behind one. */
  batchSize: number;
  /** The clock; tests drive it. */
  now(): number;
}

export interface RetentionDeps {
  db: Db;
  sessions: SessionRepo;
  messages: MessageLog;
  logger: Logger;
}

const SESSIONS_PER_PAGE = 200;

/** The stricter of two limits, where 0/null means "no limit". */
function stricter(deployment: number, session: number | null): number {
  if (!session) return deployment;
  return deployment > 0 ? Math.min(deployment, session) : session;
}

export function effectiveLimits(options: Pick<RetentionOptions, 'maxAgeMs' | 'maxMessages'>, own: RetentionLimits) {
  return { maxAgeMs: stricter(options.maxAgeMs, own.maxAgeMs), maxMessages: stricter(options.maxMessages, own.maxMessages) };
}

export type Retention = ReturnType<typeof createRetention>;

/**
 * Deletes messages past their age or count limit, oldest first, and the rows
 * of deleted sessions, one small transaction at a time with a turn of the
 * event loop in between. The session's seq floor records what was removed,
 * so seqs never restart.
 */
export function createRetention({ db, sessions, messages, logger }: RetentionDeps, options: RetentionOptions) {
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

  const deleteBatch = db.transaction((session: SessionRecord, limits: ReturnType<typeof effectiveLimits>, now: number) => {
    const { pk } = session;
    let removed: number[] = [];
    if (limits.maxAgeMs > 0) removed = deleteOlderThan.all(pk, options.batchSize, now - limits.maxAgeMs);
    if (removed.length === 0 && limits.maxMessages > 0) {
      const upTo = messages.lastSeq(pk) - limits.maxMessages;
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
      messages.released(session.pk); // committed: its storage budget has room again
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
    /** Runs a pass every `intervalMs` (and never two at once). */
    start(intervalMs: number): void {
      timer = setInterval(() => {
        runOnce().catch((err: unknown) => logger.error({ err }, 'retention pass failed'));
      }, intervalMs);
      timer.unref();
    },
    /** Stops the timer and waits for a pass in progress. */
    async stop(): Promise<void> {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
