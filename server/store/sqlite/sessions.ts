import type { RetentionLimits, SessionRecord } from '../../domain/model.js';
import type { Db } from './database.js';
import { SESSION_COLUMNS as COLUMNS, toSessionRecord as toRecord, type SessionRow } from '../session-row.js';

export type SessionTable = ReturnType<typeof createSessionTable>;

/** The sessions table, synchronously (index.ts makes the port of it; retention.ts walks it). */
export function createSessionTable(db: Db) {
  const insert = db.prepare<[string, Buffer, number], SessionRow>(
    `INSERT INTO sessions (id, token_hash, created_at, epoch) VALUES (?, ?, ?, new_epoch())
     ON CONFLICT (id) DO NOTHING
     RETURNING ${COLUMNS}`,
  );
  const byId = db.prepare<[string], SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE id = ?`);
  const page = db.prepare<[number, number], SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE pk > ? ORDER BY pk LIMIT ?`);
  const setRetention = db.prepare<[number | null, number | null, number]>(
    'UPDATE sessions SET max_age_ms = ?, max_messages = ? WHERE pk = ?',
  );
  const replaceTokenHash = db.prepare<[Buffer, number, Buffer]>('UPDATE sessions SET token_hash = ? WHERE pk = ? AND token_hash = ?');
  const remove = db.prepare<[number]>('DELETE FROM sessions WHERE pk = ?');
  const tokenHashOf = db.prepare<[number], { token_hash: Buffer }>('SELECT token_hash FROM sessions WHERE pk = ?');
  // The session goes at once, and with it every way to reach its messages;
  // the rows themselves are purged in small batches in the background
  // (retention.ts), so deleting a large session never stalls the server.
  // Session keys are never reused (AUTOINCREMENT), so nothing can adopt them.
  const markDeleted = db.prepare<[number]>('INSERT OR IGNORE INTO deleted_sessions (pk) VALUES (?)');
  const deleteSession = db.transaction((pk: number): boolean => {
    if (remove.run(pk).changes === 0) return false;
    markDeleted.run(pk);
    return true;
  });

  return {
    /** Creates the session; undefined when the ID is already taken. */
    create(id: string, tokenHash: Buffer, createdAt: number): SessionRecord | undefined {
      const row = insert.get(id, tokenHash, createdAt);
      return row && toRecord(row);
    },

    findById(id: string): SessionRecord | undefined {
      const row = byId.get(id);
      return row && toRecord(row);
    },

    pageAfter(afterPk: number, limit: number): SessionRecord[] {
      return page.all(afterPk, limit).map(toRecord);
    },

    setRetention(pk: number, limits: RetentionLimits): void {
      setRetention.run(limits.maxAgeMs, limits.maxMessages, pk);
    },

    /** Sets the token hash to `next` if it is `current`; false when it was not. */
    replaceTokenHash(pk: number, current: Buffer, next: Buffer): boolean {
      return replaceTokenHash.run(next, pk, current).changes === 1;
    },

    /** The token hash of each of these sessions that exists (a missing key: deleted). */
    tokenHashes(pks: readonly number[]): Map<number, Buffer> {
      const hashes = new Map<number, Buffer>();
      for (const pk of pks) {
        const row = tokenHashOf.get(pk);
        if (row) hashes.set(pk, row.token_hash);
      }
      return hashes;
    },

    /** Deletes the session and marks its rows for the purge, in one transaction. */
    delete(pk: number): boolean {
      return deleteSession.immediate(pk);
    },
  };
}
