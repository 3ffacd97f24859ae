import type { StoreHealth } from '../../domain/ports.js';
import type { Pool } from './database.js';

/** Probes and size of the database; free disk is the database server's business (null). */
export function createHealth(pool: Pool): StoreHealth {
  return {
    async isHealthy() {
      try {
        const { rows } = await pool.query<{ ok: number }>('SELECT 1 AS ok');
        return rows[0]?.ok === 1;
      } catch {
        return false;
      }
    },

    /** A real write commits (not read-only, reachable, not locked past lock_timeout, disk not full). */
    async isWritable() {
      try {
        await pool.query('UPDATE health SET checked_at = $1 WHERE id = 1', [Date.now()]);
        return true;
      } catch {
        return false;
      }
    },

    async sizeBytes() {
      const { rows } = await pool.query<{ size: number }>('SELECT pg_database_size(current_database()) AS size');
      return rows[0]!.size;
    },

    diskFreeBytes: () => null,
  };
}
