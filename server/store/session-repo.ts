import type { Db } from './database.js';

export interface SessionRecord {
  pk: number;
  id: string;
  tokenHash: Buffer;
  createdAt: number;
}

interface SessionRow {
  pk: number;
  id: string;
  token_hash: Buffer;
  created_at: number;
}

const toRecord = (row: SessionRow): SessionRecord => ({
  pk: row.pk,
  id: row.id,
  tokenHash: row.token_hash,
  createdAt: row.created_at,
});

export type SessionRepo = ReturnType<typeof createSessionRepo>;

export function createSessionRepo(db: Db) {
  const insert = db.prepare<[string, Buffer, number], SessionRow>(
    `INSERT INTO sessions (id, token_hash, created_at) VALUES (?, ?, ?)
     ON CONFLICT (id) DO NOTHING
     RETURNING pk, id, token_hash, created_at`,
  );
  const byId = db.prepare<[string], SessionRow>(
    'SELECT pk, id, token_hash, created_at FROM sessions WHERE id = ?',
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

    /** Deletes the session row only; callers delete its messages in the same transaction. */
    delete(pk: number): boolean {
      return remove.run(pk).changes > 0;
    },
  };
}
