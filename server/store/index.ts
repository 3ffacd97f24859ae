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

  return {
    db,
    sessions,
    messages,
    search,
    /** Removes a session and all its history in one transaction. */
    deleteSession: (sessionPk: number): boolean => deleteSession.immediate(sessionPk),
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
