import { statSync } from 'node:fs';
import type { Db } from './database.js';
import { createMessageLog, type MessageLogOptions } from './message-log.js';
import { createMessageSearch } from './message-search.js';
import { createSessionRepo } from './session-repo.js';

export type Store = ReturnType<typeof createStore>;

export interface StoreOptions extends MessageLogOptions {
  /** Why writes are refused now (free disk under the floor), or null; readiness reports it. */
  writeRefusal(): Error | null;
}

const defaults: StoreOptions = { maxSessionBytes: 0, writeRefusal: () => null };

/** The repositories over one open database, plus the writes that span both. */
export function createStore(db: Db, options: Partial<StoreOptions> = {}) {
  const { maxSessionBytes, writeRefusal } = { ...defaults, ...options };
  const sessions = createSessionRepo(db);
  const messages = createMessageLog(db, { maxSessionBytes });
  const search = createMessageSearch(db);
  // The session goes at once, and with it every way to reach its messages;
  // the rows themselves are purged in small batches in the background
  // (retention.ts), so deleting a large session never stalls the server.
  // Session keys are never reused (AUTOINCREMENT), so nothing can adopt them.
  const markDeleted = db.prepare<[number]>('INSERT OR IGNORE INTO deleted_sessions (pk) VALUES (?)');
  const deleteSession = db.transaction((sessionPk: number) => {
    if (!sessions.delete(sessionPk)) return false;
    markDeleted.run(sessionPk);
    return true;
  });
  const ping = db.prepare('SELECT 1').pluck();
  const touchHealth = db.prepare<[number]>('UPDATE health SET checked_at = ? WHERE id = 1');
  const pageCount = db.prepare('PRAGMA page_count').pluck();
  const pageSize = db.pragma('page_size', { simple: true }) as number;

  return {
    db,
    sessions,
    messages,
    search,
    /** Removes a session; its history is unreachable at once and purged soon after. */
    deleteSession(sessionPk: number): boolean {
      const deleted = deleteSession.immediate(sessionPk);
      messages.forget(sessionPk);
      return deleted;
    },
    /** Bytes on disk: the database file's pages plus its write-ahead log. */
    sizeBytes(): number {
      const wal = db.memory ? 0 : (statSync(`${db.name}-wal`, { throwIfNoEntry: false })?.size ?? 0);
      return (pageCount.get() as number) * pageSize + wal;
    },
    /** True when a real write commits (readiness: not read-only, not locked, not full, disk over its floor). */
    isWritable(): boolean {
      if (writeRefusal()) return false;
      try {
        touchHealth.run(Date.now());
        return true;
      } catch {
        return false;
      }
    },
    /** True when the database answers a query. */
    isHealthy(): boolean {
      try {
        return ping.get() === 1;
      } catch {
        return false;
      }
    },
  };
}
