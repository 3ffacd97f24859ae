/**
 * The SQLite store: one database file (WAL), written by this process only.
 * Every port of server/domain/ports.ts over one connection; SQLite's errors
 * are translated into the domain's in errors.ts, nowhere else.
 */
import { StorageUnavailableError } from '../../domain/errors.js';
import type { DomainLogger, MessageLog, SessionRepository, Store } from '../../domain/ports.js';
import { openDatabase, type Db } from './database.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { createDiskGuard } from './disk-guard.js';
import { translateFaults } from './errors.js';
import { createHealth } from './health.js';
import { createMessageLog } from './message-log.js';
import { createRetention, type RetentionOptions } from './retention.js';
import { CHUNK_ROWS } from './search-index.js';
import { createMessageSearch, type SearchOptions, type SqliteSearch } from './search.js';
import { createSessionTable } from './sessions.js';

export interface SqliteStoreOptions {
  /** fsync policy of commits: FULL survives power loss, NORMAL only process crashes. */
  synchronous: 'full' | 'normal';
  /** Largest total of message bytes (messageCost) a session may store; 0: no limit. */
  maxSessionBytes: number;
  /** Below this many free bytes on the database's disk, writes (messages, new sessions) are refused; 0: never. */
  minFreeDiskBytes: number;
  /** How often free disk space is measured, in ms: never per message. */
  diskCheckIntervalMs: number;
  /** The deployment's retention and the size of its transactions. */
  retention: Omit<RetentionOptions, 'now'>;
  /** Searches' time budget, worker priority and indexing interval (search.ts). */
  search: Partial<Omit<SearchOptions, 'logger'>>;
  /** The clock of commits and retention; tests drive it. */
  now(): number;
  logger: DomainLogger;
}

const defaults: Omit<SqliteStoreOptions, 'logger'> = {
  synchronous: 'full',
  maxSessionBytes: 0,
  minFreeDiskBytes: 0,
  diskCheckIntervalMs: 1000,
  retention: { maxAgeMs: 0, maxMessages: 0, batchSize: 500 },
  search: {},
  now: Date.now,
};

/** Opens (creating file and folder if needed, migrating) the database at `path` and makes the store of it. */
export function openSqliteStore(path: string, options: Partial<SqliteStoreOptions> & Pick<SqliteStoreOptions, 'logger'>): Store {
  const db = openDatabase(path, { synchronous: options.synchronous ?? defaults.synchronous });
  try {
    return createSqliteStore(db, options);
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The store over an open, migrated database; it owns `db` from now on and closes it on close(). */
export function createSqliteStore(db: Db, options: Partial<SqliteStoreOptions> & Pick<SqliteStoreOptions, 'logger'>): Store {
  const { maxSessionBytes, minFreeDiskBytes, diskCheckIntervalMs, retention: retentionOptions, search: searchOptions, now, logger } = { ...defaults, ...options };
  const checkpointer = startCheckpointer(db, { logger });
  const disk = createDiskGuard({ dbPath: db.memory ? ':memory:' : db.name, minFreeBytes: minFreeDiskBytes, intervalMs: diskCheckIntervalMs, logger });
  const table = createSessionTable(db);
  const log = createMessageLog(db, { maxSessionBytes, refusal: disk.refusal, now });

  const sessions: SessionRepository = {
    findById: async (id) => table.findById(id),
    // Below the free-disk floor a new session is refused like a message: the floor is for every write that grows the database.
    async create(id, tokenHash, createdAt) {
      const refused = disk.refusal();
      if (refused !== null) throw new StorageUnavailableError(refused.message, { kind: 'refused', cause: refused });
      return table.create(id, tokenHash, createdAt);
    },
    async delete(pk) {
      const deleted = table.delete(pk);
      log.forget(pk);
      return deleted;
    },
    setRetention: async (pk, limits) => table.setRetention(pk, limits),
    replaceTokenHash: async (pk, current, next) => table.replaceTokenHash(pk, current, next),
    tokenHashes: async (pks) => table.tokenHashes(pks),
    pageAfter: async (afterPk, limit) => table.pageAfter(afterPk, limit),
  };
  const messages: MessageLog = { append: log.append, lastSeq: log.lastSeq, lastSeqs: log.lastSeqs, after: log.after, page: log.page };

  const search = createMessageSearch(db, { ...searchOptions, logger });
  const retention = createRetention({ db, sessions: table, messages: log, logger, settle: retentionSettle(search, checkpointer) }, { ...retentionOptions, now });
  disk.start();
  return {
    sessions: translateFaults(sessions),
    messages: translateFaults(messages),
    search: translateFaults({ search: search.search, indexed: search.indexed, indexLag: search.indexLag }),
    health: createHealth(db, disk),
    retention: translateFaults(retention),
    async close() {
      await retention.stop();
      await search.close();
      disk.stop();
      await checkpointer.close();
      db.close();
    },
  } satisfies Store;
}

/**
 * Messages the index may be behind for retention to wait for it: further
 * behind, it is being built (after a restore, an upgrade, a damaged file:
 * 4.6 s for 400,000 messages here), and its worker applies the deletes only
 * after that chunk, work that is not the deletes' own, so retention does not
 * wait for it (nor rest in proportion to it). Five of its chunks.
 */
const SETTLE_MAX_INDEX_LAG = 5 * CHUNK_ROWS;

/**
 * What retention waits for after each batch of deletes (sqlite/retention.ts): the
 * search worker applying the deletes logged so far to the index (only them:
 * a stream of new messages, even faster than the index takes them, does not
 * hold retention up) and a WAL checkpoint of their pages, together. An index
 * that cannot be written (the wait rejects, and the pool logs why), not known
 * yet, or far behind does not hold retention up either.
 */
function retentionSettle(search: Pick<SqliteSearch, 'deletesApplied' | 'indexLag'>, checkpointer: Checkpointer): () => Promise<void> {
  // In memory both resolve at once: the index's upkeep runs in each search (its deletes are not retention's to wait
  // for, on the event loop: up to 740 ms), and there is no WAL.
  return async () => {
    const lag = await search.indexLag().catch(() => null);
    const index = lag !== null && lag <= SETTLE_MAX_INDEX_LAG ? search.deletesApplied().catch(() => undefined) : undefined;
    await Promise.all([index, checkpointer.checkpoint()]);
  };
}
