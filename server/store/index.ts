/**
 * Chooses the store adapter from the configuration: the one place that knows
 * which engines exist. A new engine is a folder beside sqlite/ (its files
 * `satisfies` the ports of server/domain/ports.ts and translate its faults
 * into StorageUnavailableError) and one branch here.
 */
import type { Config } from '../config.js';
import type { DomainLogger, Store } from '../domain/ports.js';
import { openPostgresStore, type PostgresStoreOptions } from './postgres/index.js';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite/index.js';

export type StoreConfig = Pick<
  Config,
  'dbPath' | 'dbSync' | 'databaseUrl' | 'maxSessionBytes' | 'minFreeDiskBytes' | 'retentionMaxAgeDays' | 'retentionMaxMessages'
>;

const DAY_MS = 24 * 60 * 60 * 1000;
/** How often free disk space is measured (MIN_FREE_DISK_BYTES): one statfs a second, never per message. */
const DISK_CHECK_INTERVAL_MS = 1000;
/**
 * Messages deleted per retention transaction. SQLite's run on the event loop,
 * between echoes: 50 rows took 0.9 ms (median; 500 took 6.6 to 9.7 ms, the
 * search index's deletes most of it), measured in process on 400,000
 * indexed messages of 100 sessions (issue 13). PostgreSQL's run in the
 * database server, so bigger batches cost the event loop nothing.
 */
const SQLITE_RETENTION_BATCH = 50;
const POSTGRES_RETENTION_BATCH = 500;

/** The SQLite store's options from the configuration. */
export function sqliteOptions(config: StoreConfig, logger: DomainLogger): SqliteStoreOptions {
  return {
    synchronous: config.dbSync,
    maxSessionBytes: config.maxSessionBytes,
    minFreeDiskBytes: config.minFreeDiskBytes,
    diskCheckIntervalMs: DISK_CHECK_INTERVAL_MS,
    retention: { ...deploymentRetention(config), batchSize: SQLITE_RETENTION_BATCH },
    search: {}, // the defaults of search.ts: a 2 s budget, a worker thread at nice 10
    now: Date.now,
    logger,
  };
}

/** The PostgreSQL store's options from the configuration (free disk is the database server's business). */
export function postgresOptions(config: StoreConfig, logger: DomainLogger): Omit<PostgresStoreOptions, 'database'> {
  return {
    maxSessionBytes: config.maxSessionBytes,
    retention: { ...deploymentRetention(config), batchSize: POSTGRES_RETENTION_BATCH },
    now: Date.now,
    logger,
  };
}

/** The deployment's retention limits in ms and messages (0: none). */
export function deploymentRetention(config: Pick<Config, 'retentionMaxAgeDays' | 'retentionMaxMessages'>) {
  return { maxAgeMs: config.retentionMaxAgeDays * DAY_MS, maxMessages: config.retentionMaxMessages };
}

/**
 * Opens the configured store: PostgreSQL at DATABASE_URL when it is set
 * (several nodes may share it), else SQLite at DB_PATH (one node, no
 * setting needed). Throws an error whose message names the setting to fix.
 */
export async function openStore(config: StoreConfig, logger: DomainLogger): Promise<Store> {
  if (config.databaseUrl !== '') {
    try {
      return await openPostgresStore(config.databaseUrl, postgresOptions(config, logger));
    } catch (err) {
      // The URL may hold a password: the message names the host, never the URL.
      throw new Error(`cannot open DATABASE_URL (${describeUrl(config.databaseUrl)}): ${(err as Error).message}`, { cause: err });
    }
  }
  try {
    return openSqliteStore(config.dbPath, sqliteOptions(config, logger));
  } catch (err) {
    throw new Error(`cannot open DB_PATH "${config.dbPath}": ${(err as Error).message}`, { cause: err });
  }
}

/** host:port/database of a database URL, without its credentials. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return 'not a URL';
  }
}
