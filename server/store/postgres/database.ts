import pg from 'pg';
import { MIGRATIONS } from './migrations.js';

export type Pool = pg.Pool;

export interface DatabaseOptions {
  /** Connections in the pool (each node: appends, reads, the retention pass, the probes). */
  maxConnections: number;
  /** How long a query waits for a row lock held by another node before it fails (lock_timeout), in ms. */
  lockTimeoutMs: number;
  /** Longest statement (statement_timeout), in ms. */
  statementTimeoutMs: number;
  /** How long opening a connection may take, in ms: a database that is down fails fast. */
  connectTimeoutMs: number;
}

const defaults: DatabaseOptions = { maxConnections: 10, lockTimeoutMs: 5000, statementTimeoutMs: 30_000, connectTimeoutMs: 5000 };

/** bigint columns (seqs, keys, ms times) as numbers: they stay far below 2^53. */
const BIGINT_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === BIGINT_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Key of the advisory lock migrations run under (any constant; "wss-migr" in ASCII). */
const MIGRATION_LOCK = 0x7773732d6d696772n;

/**
 * A pool on `url` whose every connection commits with synchronous_commit=on
 * (the echo is the acknowledgement: a commit is on disk before it is sent),
 * migrated to this build's schema. Rejects with the database's error when it
 * cannot be reached.
 */
export async function openPool(url: string, options: Partial<DatabaseOptions> = {}): Promise<Pool> {
  const { maxConnections, lockTimeoutMs, statementTimeoutMs, connectTimeoutMs } = { ...defaults, ...options };
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
    types,
    options: `-c synchronous_commit=on -c lock_timeout=${lockTimeoutMs} -c statement_timeout=${statementTimeoutMs}`,
    application_name: 'websocket-session',
  });
  // An idle connection the server closed (a restart, pg_terminate_backend) errors here; the pool
  // drops it and the next query opens a new one. Nothing to do but not crash.
  pool.on('error', () => undefined);
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return pool;
}

/**
 * A small pool of its own for the per-IP limit counters (window-counters.ts),
 * whose every statement gives up after `timeoutMs` (lock and statement
 * timeouts): the limits' caller stops waiting at 1 s and counts in memory
 * (limits/insured.ts), and a query it left behind must not hold a
 * connection the appends need (an attacker's requests against a locked
 * ip_limits table took all of the store's pool: appends failed with
 * storage_unavailable and /readyz went 503). Not migrated here: the store's
 * pool did that.
 */
export function openLimitsPool(url: string, options: { maxConnections: number; timeoutMs: number }): Pool {
  const { maxConnections, timeoutMs } = options;
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    connectionTimeoutMillis: timeoutMs,
    keepAlive: true,
    options: `-c lock_timeout=${timeoutMs} -c statement_timeout=${timeoutMs}`,
    application_name: 'websocket-session-limits',
  });
  pool.on('error', () => undefined);
  return pool;
}

/** Runs the migrations this database lacks, one node at a time (pg_advisory_lock), each in its own transaction. */
async function migrate(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_version (version int NOT NULL)');
      await client.query('INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version)');
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_version');
      const current = rows[0]!.version;
      if (current > MIGRATIONS.length) {
        throw new Error(`database schema version ${current} is newer than this build knows (${MIGRATIONS.length})`);
      }
      for (let version = current; version < MIGRATIONS.length; version++) {
        await client.query('BEGIN');
        try {
          await client.query(MIGRATIONS[version]!);
          await client.query('UPDATE schema_version SET version = $1', [version + 1]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/** Runs `work` in one transaction on one pooled connection; a connection that failed is not reused. */
export async function transaction<T>(pool: Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr as Error;
    }
    throw err;
  } finally {
    client.release(broken);
  }
}
