import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SessionRecord } from '../../domain/model.js';
import type { DomainLogger, RetentionRunner, SessionRepository } from '../../domain/ports.js';
import { effectiveLimits, type DeploymentRetention, type EffectiveLimits } from '../../domain/retention-policy.js';
import type { Pool } from './database.js';

export interface RetentionOptions extends DeploymentRetention {
  /** Rows deleted per statement: small, so an append never waits long behind one. */
  batchSize: number;
  /** The clock; tests drive it. */
  now(): number;
}

const SESSIONS_PER_PAGE = 200;
/** Key of the advisory lock that makes one node at a time run retention and the purge ("wss-rete" in ASCII). */
const RETENTION_LOCK = 0x7773732d72657465n;

/**
 * Retention and the purge of deleted sessions' rows on PostgreSQL: one node
 * at a time (pg_try_advisory_lock; a node that does not get it skips the
 * pass), each batch one statement with a turn of the event loop in between.
 * `last_seq` lives on the session row, so deleting messages never lowers it.
 */
export function createRetention(pool: Pool, sessions: Pick<SessionRepository, 'pageAfter'>, logger: DomainLogger, options: RetentionOptions): RetentionRunner {
  const { batchSize } = options;

  async function purgeDeleted(): Promise<number> {
    let total = 0;
    const { rows } = await pool.query<{ pk: number }>('SELECT pk FROM deleted_sessions ORDER BY pk');
    for (const { pk } of rows) {
      for (;;) {
        const { rowCount } = await pool.query(
          'DELETE FROM messages WHERE session_pk = $1 AND seq IN (SELECT seq FROM messages WHERE session_pk = $1 LIMIT $2)',
          [pk, batchSize],
        );
        total += rowCount ?? 0;
        await nextTurn();
        if (!rowCount) break;
      }
      await pool.query('DELETE FROM deleted_sessions WHERE pk = $1', [pk]);
    }
    return total;
  }

  async function deleteBatch(session: SessionRecord, limits: EffectiveLimits): Promise<number> {
    const { pk } = session;
    if (limits.maxAgeMs > 0) {
      const { rowCount } = await pool.query(
        `DELETE FROM messages WHERE session_pk = $1 AND at < $3
            AND seq IN (SELECT seq FROM messages WHERE session_pk = $1 ORDER BY seq LIMIT $2)`,
        [pk, batchSize, options.now() - limits.maxAgeMs],
      );
      if (rowCount) return rowCount;
    }
    if (limits.maxMessages > 0) {
      const { rowCount } = await pool.query(
        `DELETE FROM messages WHERE session_pk = $1
            AND seq IN (SELECT seq FROM messages WHERE session_pk = $1
                           AND seq <= (SELECT last_seq FROM sessions WHERE pk = $1) - $3 ORDER BY seq LIMIT $2)`,
        [pk, batchSize, limits.maxMessages],
      );
      return rowCount ?? 0;
    }
    return 0;
  }

  async function enforce(session: SessionRecord): Promise<number> {
    const limits = effectiveLimits(options, session.retention);
    if (limits.maxAgeMs <= 0 && limits.maxMessages <= 0) return 0;
    let total = 0;
    for (;;) {
      const removed = await deleteBatch(session, limits);
      total += removed;
      if (removed === 0) return total;
      await nextTurn(); // let appends through between batches
    }
  }

  async function pass(): Promise<number> {
    let deleted = await purgeDeleted();
    let after = 0;
    for (;;) {
      const page = await sessions.pageAfter(after, SESSIONS_PER_PAGE);
      if (page.length === 0) break;
      for (const session of page) deleted += await enforce(session);
      after = page[page.length - 1]!.pk;
      await nextTurn();
    }
    if (deleted > 0) logger.info({ deleted }, 'retention: old messages deleted');
    return deleted;
  }

  /** The pass under the cluster-wide lock, held by one pooled connection for its length; 0 when another node has it. */
  async function lockedPass(): Promise<number> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [RETENTION_LOCK]);
      if (!rows[0]!.got) return 0;
      try {
        return await pass();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK]).catch((err: Error) => (broken = err));
      }
    } finally {
      client.release(broken);
    }
  }

  let running: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const runOnce = (): Promise<number> => (running ??= lockedPass().finally(() => (running = undefined)));

  return {
    runOnce,
    start(intervalMs) {
      timer = setInterval(() => {
        runOnce().catch((err: unknown) => logger.error({ err }, 'retention pass failed'));
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
