/**
 * The PostgreSQL store (DATABASE_URL): every port of server/domain/ports.ts
 * over one connection pool, safe with any number of nodes on one database
 * (README, Scaling out). PostgreSQL's errors are translated into the
 * domain's in errors.ts, nowhere else.
 */
import type { DomainLogger, Store } from '../../domain/ports.js';
import { openLimitsPool, openPool, type DatabaseOptions, type Pool } from './database.js';
import { translateFaults } from './errors.js';
import { createHealth } from './health.js';
import { createMessageLog, type PostgresMessageLog } from './message-log.js';
import { createRetention, type RetentionOptions } from './retention.js';
import { createMessageSearch } from './search.js';
import { createSessions } from './sessions.js';
import { createWindowCounters } from './window-counters.js';

export interface PostgresStoreOptions {
  /** Largest total of message bytes (messageCost: body, client id, row overhead) a session may store; 0: no limit. */
  maxSessionBytes: number;
  /** The deployment's retention and the size of its batches. */
  retention: Omit<RetentionOptions, 'now'>;
  /** The clock of commits and retention; tests drive it. */
  now(): number;
  /** Pool size and timeouts (database.ts). */
  database: Partial<DatabaseOptions>;
  logger: DomainLogger;
}

const defaults: Omit<PostgresStoreOptions, 'logger'> = {
  maxSessionBytes: 0,
  retention: { maxAgeMs: 0, maxMessages: 0, batchSize: 500 },
  now: Date.now,
  database: {},
};

/** The store, with the message log's extra read the cluster's heal timer uses. */
export interface PostgresStore extends Store {
  clusterKey(): Promise<Buffer>;
  messages: PostgresMessageLog;
  /** The pool (tests force faults on its connections). */
  pool: Pool;
}

/** Connects to `url`, migrates the database (one node at a time) and makes the store of it. */
export async function openPostgresStore(url: string, options: Partial<PostgresStoreOptions> & Pick<PostgresStoreOptions, 'logger'>): Promise<PostgresStore> {
  const { maxSessionBytes, retention: retentionOptions, now, database, logger } = { ...defaults, ...options };
  const pool = await openPool(url, database);
  // Two connections: a limit read or add is one short statement, and memory answers when they are busy.
  const limitsPool = openLimitsPool(url, { maxConnections: 2, timeoutMs: 1000 });
  const sessions = createSessions(pool);
  const retention = createRetention(pool, sessions, logger, { ...retentionOptions, now });
  return {
    sessions: translateFaults(sessions),
    messages: translateFaults(createMessageLog(pool, { maxSessionBytes, now })),
    search: translateFaults(createMessageSearch(pool)),
    health: createHealth(pool),
    retention: translateFaults(retention),
    windowCounters: createWindowCounters(limitsPool),
    pool,
    async clusterKey() {
      const { rows } = await pool.query<{ key: Buffer }>('SELECT key FROM bus_key WHERE id = 1');
      if (!rows[0]) throw new Error('bus_key is empty: the cluster key was deleted (migration 4 creates it)');
      return rows[0].key;
    },
    async close() {
      await retention.stop();
      await Promise.all([pool.end(), limitsPool.end()]);
    },
  };
}
