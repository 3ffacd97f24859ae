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

export type MessageLog = ReturnType<typeof createMessageLog>;

export function createMessageLog(db: Db) {
  const insert = db.prepare<[number, number, string | null, string, number]>(
    `INSERT INTO messages (session_pk, seq, client_id, body, at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (session_pk, client_id) WHERE client_id IS NOT NULL DO NOTHING`,
  );
  // The search index takes a batch's new rows in one statement, in the same
  // transaction, rather than from an AFTER INSERT trigger: per row, FTS5
  // flushes its pending terms every statement (~15 us a message, measured,
  // more than the rest of the append); in one statement, once per commit.
  // Deletes keep their trigger (migration 5): rare, and done in batches.
  const index = db.prepare<[number | bigint, number | bigint]>(
    'INSERT INTO messages_fts (rowid, sid, body) SELECT id, sid, body FROM messages_fts_source WHERE id BETWEEN ? AND ?',
  );
  const byClientId = db.prepare<[number, string], MessageRow>(
    'SELECT seq, client_id, body, at FROM messages WHERE session_pk = ? AND client_id = ?',
  );
  // Retention may have deleted the newest rows too: the session's seq floor
  // keeps the numbering from ever going back.
  const lastSeqStmt = db
    .prepare<[number, number], number>(
      `SELECT max(coalesce((SELECT max(seq) FROM messages WHERE session_pk = ?), 0),
                  coalesce((SELECT seq_floor FROM sessions WHERE pk = ?), 0))`,
    )
    .pluck();
  const pageStmt = db.prepare<[number, number, number], MessageRow>(
    'SELECT seq, client_id, body, at FROM messages WHERE session_pk = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
  );
  const afterStmt = db.prepare<[number, number, number], MessageRow>(
    'SELECT seq, client_id, body, at FROM messages WHERE session_pk = ? AND seq > ? ORDER BY seq LIMIT ?',
  );

  // Last committed seq per session. Only this process writes, so after the
  // first read from disk the cache is the truth; it is updated only after a
  // COMMIT, so a rolled-back batch leaves no hole in the numbering.
  const lastSeqCache = new Map<number, number>();
  const lastSeq = (sessionPk: number): number => {
    let seq = lastSeqCache.get(sessionPk);
    if (seq === undefined) {
      seq = lastSeqStmt.get(sessionPk, sessionPk) ?? 0;
      lastSeqCache.set(sessionPk, seq);
    }
    return seq;
  };

  const appendInTransaction = db.transaction((items: readonly AppendInput[], at: number) => {
    const assigned = new Map<number, number>();
    const results: AppendResult[] = [];
    let firstId: number | bigint | undefined;
    let lastId: number | bigint | undefined;
    for (const { sessionPk, clientId, body } of items) {
      const seq = (assigned.get(sessionPk) ?? lastSeq(sessionPk)) + 1;
      const info = insert.run(sessionPk, seq, clientId, body, at);
      if (info.changes === 1) {
        firstId ??= info.lastInsertRowid;
        lastId = info.lastInsertRowid;
        assigned.set(sessionPk, seq);
        results.push({ seq, clientId, body, at, duplicate: false });
      } else {
        // Only the client-id conflict is ignored, so the original must exist.
        const original = byClientId.get(sessionPk, clientId!)!;
        results.push({ ...toStored(original), duplicate: true });
      }
    }
    // Rows are appended, so this transaction's rows are exactly the id range.
    if (firstId !== undefined) index.run(firstId, lastId!);
    return { results, assigned };
  });

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
      const rows = pageStmt.all(sessionPk, before, limit + 1);
      const hasMore = rows.length > limit;
      if (hasMore) rows.pop();
      return { messages: rows.reverse().map(toStored), hasMore };
    },

    /** Up to `limit` messages with seq > afterSeq, ascending. */
    after(sessionPk: number, afterSeq: number, limit: number): StoredMessage[] {
      return afterStmt.all(sessionPk, afterSeq, limit).map(toStored);
    },

    /** Forgets a deleted session (its rows are purged in the background, see retention.ts). */
    forget(sessionPk: number): void {
      lastSeqCache.delete(sessionPk);
    },
  };
}
