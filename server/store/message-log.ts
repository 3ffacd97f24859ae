import type { Db } from './database.js';

export interface AppendInput {
  sessionPk: number;
  /** Client message id; a second append with the same id returns the first. */
  clientId: string | null;
  body: string;
}

export interface StoredMessage {
  seq: number;
  clientId: string | null;
  body: string;
  /** Commit time, ms since epoch. */
  at: number;
}

export interface AppendResult extends StoredMessage {
  /** True when the client id was already stored: nothing new was written. */
  duplicate: boolean;
}

interface MessageRow {
  seq: number;
  client_id: string | null;
  body: string;
  at: number;
}

const toStored = (row: MessageRow): StoredMessage => ({
  seq: row.seq,
  clientId: row.client_id,
  body: row.body,
  at: row.at,
});

/** Rows of a session are the key range ((pk << 32), (pk << 32) | 0xFFFFFFFF]. */
const SESSION_RANGE = 'session_seq > (? << 32) AND session_seq <= ((? << 32) | 0xFFFFFFFF)';

export type MessageLog = ReturnType<typeof createMessageLog>;

export function createMessageLog(db: Db) {
  const insert = db.prepare<[number, number, string | null, string, number]>(
    `INSERT INTO messages (session_seq, client_id, body, at) VALUES ((? << 32) | ?, ?, ?, ?)
     ON CONFLICT (session_pk, client_id) WHERE client_id IS NOT NULL DO NOTHING`,
  );
  // The search index is written here, in the same transaction as the rows,
  // rather than by an AFTER INSERT trigger, and in ascending rowid order: FTS5
  // flushes its pending terms to disk whenever a rowid is not above the last
  // one, and a batch interleaves sessions, so per-row or unsorted writes cost
  // a flush per message (~6-15 us each, measured); sorted, it is one per
  // commit. Deletes keep their trigger (migration 2): rare and batched.
  const index = db.prepare<[number, number, string]>('INSERT INTO messages_fts (rowid, body) VALUES ((? << 32) | ?, ?)');
  const byClientId = db.prepare<[number, string], MessageRow>(
    'SELECT seq, client_id, body, at FROM messages WHERE session_pk = ? AND client_id = ?',
  );
  // Retention may have deleted the newest rows too: the session's seq floor
  // keeps the numbering from ever going back.
  const lastSeqStmt = db
    .prepare<[number, number, number], number>(
      `SELECT max(
         coalesce((SELECT seq FROM messages WHERE ${SESSION_RANGE} ORDER BY session_seq DESC LIMIT 1), 0),
         coalesce((SELECT seq_floor FROM sessions WHERE pk = ?), 0))`,
    )
    .pluck();
  const pageStmt = db.prepare<[number, number, number, number], MessageRow>(
    `SELECT seq, client_id, body, at FROM messages
     WHERE session_seq > (? << 32) AND session_seq < (? << 32) + ?
     ORDER BY session_seq DESC LIMIT ?`,
  );
  const afterStmt = db.prepare<[number, number, number, number], MessageRow>(
    `SELECT seq, client_id, body, at FROM messages
     WHERE session_seq > (? << 32) + ? AND session_seq <= ((? << 32) | 0xFFFFFFFF)
     ORDER BY session_seq LIMIT ?`,
  );
  const deleteAll = db.prepare<[number, number]>(`DELETE FROM messages WHERE ${SESSION_RANGE}`);

  // Last committed seq per session. Only this process writes, so after the
  // first read from disk the cache is the truth; it is updated only after a
  // COMMIT, so a rolled-back batch leaves no hole in the numbering.
  const lastSeqCache = new Map<number, number>();
  const lastSeq = (sessionPk: number): number => {
    let seq = lastSeqCache.get(sessionPk);
    if (seq === undefined) {
      seq = lastSeqStmt.get(sessionPk, sessionPk, sessionPk) ?? 0;
      lastSeqCache.set(sessionPk, seq);
    }
    return seq;
  };

  const appendInTransaction = db.transaction((items: readonly AppendInput[], at: number) => {
    const assigned = new Map<number, number>();
    const results: AppendResult[] = [];
    for (const { sessionPk, clientId, body } of items) {
      const seq = (assigned.get(sessionPk) ?? lastSeq(sessionPk)) + 1;
      if (insert.run(sessionPk, seq, clientId, body, at).changes === 1) {
        assigned.set(sessionPk, seq);
        results.push({ seq, clientId, body, at, duplicate: false });
      } else {
        // Only the client-id conflict is ignored, so the original must exist.
        const original = byClientId.get(sessionPk, clientId!)!;
        results.push({ ...toStored(original), duplicate: true });
      }
    }
    indexInRowidOrder(items, results);
    return { results, assigned };
  });

  function indexInRowidOrder(items: readonly AppendInput[], results: readonly AppendResult[]): void {
    const order: number[] = [];
    for (let i = 0; i < results.length; i++) if (!results[i]!.duplicate) order.push(i);
    order.sort((x, y) => items[x]!.sessionPk - items[y]!.sessionPk || results[x]!.seq - results[y]!.seq);
    for (const i of order) index.run(items[i]!.sessionPk, results[i]!.seq, results[i]!.body);
  }

  return {
    lastSeq,

    /**
     * Appends a batch in one transaction (one fsync for all of it) and returns
     * one result per input, in order. Throws, and changes nothing, on any
     * storage fault.
     */
    append(items: readonly AppendInput[], at: number = Date.now()): AppendResult[] {
      const { results, assigned } = appendInTransaction.immediate(items, at);
      for (const [sessionPk, seq] of assigned) lastSeqCache.set(sessionPk, seq);
      return results;
    },

    /** A page of history, ascending, of messages with seq < before (newest page first). */
    page(sessionPk: number, before: number, limit: number): { messages: StoredMessage[]; hasMore: boolean } {
      const rows = pageStmt.all(sessionPk, sessionPk, before, limit + 1);
      const hasMore = rows.length > limit;
      if (hasMore) rows.pop();
      return { messages: rows.reverse().map(toStored), hasMore };
    },

    /** Up to `limit` messages with seq > afterSeq, ascending. */
    after(sessionPk: number, afterSeq: number, limit: number): StoredMessage[] {
      return afterStmt.all(sessionPk, afterSeq, sessionPk, limit).map(toStored);
    },

    /** Deletes a session's whole history; run inside the session delete transaction. */
    deleteSession(sessionPk: number): void {
      deleteAll.run(sessionPk, sessionPk);
      lastSeqCache.delete(sessionPk);
    },
  };
}
