/**
 * Chooses the store adapter from the configuration: the one place that knows
 * which engines exist. A new engine is a folder beside sqlite/ (its files
 * `satisfies` the ports of server/domain/ports.ts and translate its faults
 * into StorageUnavailableError) and one branch here.
 */
import type { Config } from '../config.js';
import type { DomainLogger, Store } from '../domain/ports.js';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite/index.js';

export type StoreConfig = Pick<
  Config,
  'dbPath' | 'dbSync' | 'maxSessionBytes' | 'minFreeDiskBytes' | 'retentionMaxAgeDays' | 'retentionMaxMessages'
>;

const DAY_MS = 24 * 60 * 60 * 1000;
/** How often free disk space is measured (MIN_FREE_DISK_BYTES): one statfs a second, never per message. */
const DISK_CHECK_INTERVAL_MS = 1000;
/** Messages deleted per retention transaction. */
const RETENTION_BATCH = 500;

/** The SQLite store's options from the configuration. */
export function sqliteOptions(config: StoreConfig, logger: DomainLogger): SqliteStoreOptions {
  return {
    synchronous: config.dbSync,
    maxSessionBytes: config.maxSessionBytes,
    minFreeDiskBytes: config.minFreeDiskBytes,
    diskCheckIntervalMs: DISK_CHECK_INTERVAL_MS,
    retention: { ...deploymentRetention(config), batchSize: RETENTION_BATCH },
    search: {}, // the defaults of search.ts: a 2 s budget, a worker thread at nice 10
    now: Date.now,
    logger,
  };
}

/** The deployment's retention limits in ms and messages (0: none). */
export function deploymentRetention(config: Pick<Config, 'retentionMaxAgeDays' | 'retentionMaxMessages'>) {
  return { maxAgeMs: config.retentionMaxAgeDays * DAY_MS, maxMessages: config.retentionMaxMessages };
}

/**
 * Opens the configured store: SQLite at DB_PATH (the only engine so far).
 * Throws an error whose message names the setting to fix.
 */
export async function openStore(config: StoreConfig, logger: DomainLogger): Promise<Store> {
  try {
    return openSqliteStore(config.dbPath, sqliteOptions(config, logger));
  } catch (err) {
    throw new Error(`cannot open DB_PATH "${config.dbPath}": ${(err as Error).message}`, { cause: err });
  }
}
