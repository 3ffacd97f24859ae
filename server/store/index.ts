import { statSync } from 'node:fs';
import type { Db } from './database.js';
import { createMessageLog } from './message-log.js';
import { createMessageSearch } from './message-search.js';
import { createSessionRepo } from './session-repo.js';

export type Store = ReturnType<typeof createStore>;

/** The repositories over one open database, plus the writes that span both. */
export function createStore(db: Db) {
  const sessions = createSessionRepo(db);
  const messages = createMessageLog(db);
  const search = createMessageSearch(db);
  const deleteSession = db.transaction((sessionPk: number) => {
    messages.deleteSession(sessionPk);
    return sessions.delete(sessionPk);
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
    /** Removes a session and all its history in one transaction. */
    deleteSession: (sessionPk: number): boolean => deleteSession.immediate(sessionPk),
    /** Bytes on disk: the database file's pages plus its write-ahead log. */
    sizeBytes(): number {
      const wal = db.memory ? 0 : (statSync(`${db.name}-wal`, { throwIfNoEntry: false })?.size ?? 0);
      return (pageCount.get() as number) * pageSize + wal;
    },
    /** True when a real write commits (readiness: not read-only, not locked, not full). */
    isWritable(): boolean {
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
