import { newEpoch } from '../../domain/epoch.js';
import type { SessionRepository } from '../../domain/ports.js';
import { transaction, type Pool } from './database.js';
import { SESSION_COLUMNS as COLUMNS, toSessionRecord as toRecord, type SessionRow } from '../session-row.js';

/** The sessions table. A delete removes the row at once and leaves the messages to the purge (retention.ts). */
export function createSessions(pool: Pool): SessionRepository {
  return {
    async findById(id) {
      const { rows } = await pool.query<SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE id = $1`, [id]);
      return rows[0] && toRecord(rows[0]);
    },

    async create(id, tokenHash, createdAt) {
      const { rows } = await pool.query<SessionRow>(
        `INSERT INTO sessions (id, token_hash, created_at, epoch) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
        [id, tokenHash, createdAt, newEpoch()],
      );
      return rows[0] && toRecord(rows[0]);
    },

    /** The row goes (waiting for an append holding it to commit), and its key joins the purge list, in one transaction. */
    delete: (pk) =>
      transaction(pool, async (client) => {
        const { rowCount } = await client.query('DELETE FROM sessions WHERE pk = $1', [pk]);
        if (rowCount === 0) return false;
        await client.query('INSERT INTO deleted_sessions (pk) VALUES ($1) ON CONFLICT DO NOTHING', [pk]);
        return true;
      }),

    async setRetention(pk, limits) {
      await pool.query('UPDATE sessions SET max_age_ms = $1, max_messages = $2 WHERE pk = $3', [limits.maxAgeMs, limits.maxMessages, pk]);
    },

    /** Compare-and-set in one statement: of two revocations with the same token, the row lock lets one win. */
    async replaceTokenHash(pk, current, next) {
      const { rowCount } = await pool.query('UPDATE sessions SET token_hash = $1 WHERE pk = $2 AND token_hash = $3', [next, pk, current]);
      return rowCount === 1;
    },

    async tokenHashes(pks) {
      const { rows } = await pool.query<{ pk: number; token_hash: Buffer }>('SELECT pk, token_hash FROM sessions WHERE pk = ANY($1::bigint[])', [pks]);
      return new Map(rows.map((r) => [r.pk, r.token_hash]));
    },

    async pageAfter(afterPk, limit) {
      const { rows } = await pool.query<SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE pk > $1 ORDER BY pk LIMIT $2`, [afterPk, limit]);
      return rows.map(toRecord);
    },
  };
}
