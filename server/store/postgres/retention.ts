import type { SessionRecord } from '../../domain/model.js';
import type { DomainLogger, RetentionRunner, SessionRepository } from '../../domain/ports.js';
import type { EffectiveLimits } from '../../domain/retention-policy.js';
import { createRetentionRunner, type RetentionRunnerOptions } from '../retention-runner.js';
import type { Pool } from './database.js';

export interface RetentionOptions extends RetentionRunnerOptions {
  /** Rows deleted per statement: small, so an append never waits long behind one. */
  batchSize: number;
}
/** Key of the advisory lock that makes one node at a time run retention and the purge ("wss-rete" in ASCII). */
const RETENTION_LOCK = 0x7773732d72657465n;

/**
 * Retention's batches on PostgreSQL (the pass is retention-runner.ts), one
 * node at a time (pg_try_advisory_lock; a node that does not get it skips
 * the pass), each batch one statement.
 * `last_seq` lives on the session row, so deleting messages never lowers it.
 */
export function createRetention(pool: Pool, sessions: Pick<SessionRepository, 'pageAfter'>, logger: DomainLogger, options: RetentionOptions): RetentionRunner {
  const { batchSize } = options;

  /** One batch of a deleted session's rows; when none were left, its mark goes too. */
  async function purgeBatch(pk: number): Promise<number> {
    const { rowCount } = await pool.query(
      'DELETE FROM messages WHERE session_pk = $1 AND seq IN (SELECT seq FROM messages WHERE session_pk = $1 LIMIT $2)',
      [pk, batchSize],
    );
    if (!rowCount) await pool.query('DELETE FROM deleted_sessions WHERE pk = $1', [pk]);
    return rowCount ?? 0;
  }

  async function deleteBatch(session: SessionRecord, limits: EffectiveLimits, now: number): Promise<number> {
    const { pk } = session;
    if (limits.maxAgeMs > 0) {
      const { rowCount } = await pool.query(
        `DELETE FROM messages WHERE session_pk = $1 AND at < $3
            AND seq IN (SELECT seq FROM messages WHERE session_pk = $1 ORDER BY seq LIMIT $2)`,
        [pk, batchSize, now - limits.maxAgeMs],
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

  /** The pass under the cluster-wide lock, held by one pooled connection for its length; 0 when another node has it. */
  async function exclusively(pass: () => Promise<number>): Promise<number> {
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

  return createRetentionRunner(
    {
      deletedSessions: async () => (await pool.query<{ pk: number }>('SELECT pk FROM deleted_sessions ORDER BY pk')).rows.map((r) => r.pk),
      purgeBatch,
      pageAfter: (afterPk, limit) => sessions.pageAfter(afterPk, limit),
      deleteBatch,
      exclusively,
    },
    options,
    logger,
  );
}
