import type { Db } from './database.js';

/** A session's own retention limits; null: the deployment's apply. */
export interface RetentionLimits {
  maxAgeMs: number | null;
  maxMessages: number | null;
}

export interface SessionRecord {
  pk: number;
  id: string;
  tokenHash: Buffer;
  createdAt: number;
  retention: RetentionLimits;
}

interface SessionRow {
  pk: number;
  id: string;
  token_hash: Buffer;
  created_at: number;
  max_age_ms: number | null;
  max_messages: number | null;
}

const COLUMNS = 'pk, id, token_hash, created_at, max_age_ms, max_messages';

const toRecord = (row: SessionRow): SessionRecord => ({
  pk: row.pk,
  id: row.id,
  tokenHash: row.token_hash,
  createdAt: row.created_at,
  retention: { maxAgeMs: row.max_age_ms, maxMessages: row.max_messages },
});

export type SessionRepo = ReturnType<typeof createSessionRepo>;

export function createSessionRepo(db: Db) {
  const insert = db.prepare<[string, Buffer, number], SessionRow>(
    `INSERT INTO sessions (id, token_hash, created_at) VALUES (?, ?, ?)
     ON CONFLICT (id) DO NOTHING
     RETURNING ${COLUMNS}`,
  );
  const byId = db.prepare<[string], SessionRow>(
    `SELECT ${COLUMNS} FROM sessions WHERE id = ?`,
  );
  const page = db.prepare<[number, number], SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE pk > ? ORDER BY pk LIMIT ?`);
  const setRetention = db.prepare<[number | null, number | null, number]>(
    'UPDATE sessions SET max_age_ms = ?, max_messages = ? WHERE pk = ?',
  );
  const remove = db.prepare<[number]>('DELETE FROM sessions WHERE pk = ?');

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

    /** Sessions after `afterPk` in key order, `limit` at a time (background jobs walk them in pages). */
    pageAfter(afterPk: number, limit: number): SessionRecord[] {
      return page.all(afterPk, limit).map(toRecord);
    },

    setRetention(pk: number, limits: RetentionLimits): void {
      setRetention.run(limits.maxAgeMs, limits.maxMessages, pk);
    },

    /** Deletes the session row only; callers delete its messages in the same transaction. */
    delete(pk: number): boolean {
      return remove.run(pk).changes > 0;
    },
  };
}
