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

/**
 * An append refused because its session's stored bodies would pass the
 * storage budget: nothing was written for it (the rest of its batch was).
 */
export class SessionStorageFull extends Error {
  override readonly name = 'SessionStorageFull';
  constructor(readonly maxSessionBytes: number) {
    super(`the session stores ${maxSessionBytes} bytes of messages, its limit`);
  }
}

/** One append's outcome: stored (or found stored), or refused by the budget. */
export type AppendOutcome = AppendResult | SessionStorageFull;

export interface MessageLogOptions {
  /** Largest total of UTF-8 body bytes a session may store; 0: no limit. */
  maxSessionBytes: number;
}

const defaults: MessageLogOptions = { maxSessionBytes: 0 };

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

export function createMessageLog(db: Db, options: Partial<MessageLogOptions> = {}) {
  const { maxSessionBytes } = { ...defaults, ...options };
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

  const storedBytesStmt = db.prepare<[number], number>('SELECT stored_bytes FROM sessions WHERE pk = ?').pluck();
  const addStoredBytes = db.prepare<[number, number]>('UPDATE sessions SET stored_bytes = stored_bytes + ? WHERE pk = ?');

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

  // Body bytes stored per session (the budget), cached like the last seq and
  // likewise updated only after a COMMIT. Deletes lower the stored count by
  // trigger (migration 6), so whoever deletes calls released() to re-read it.
  const storedBytesCache = new Map<number, number>();
  const storedBytes = (sessionPk: number): number => {
    let bytes = storedBytesCache.get(sessionPk);
    if (bytes === undefined) {
      bytes = storedBytesStmt.get(sessionPk) ?? 0;
      storedBytesCache.set(sessionPk, bytes);
    }
    return bytes;
  };

  const appendInTransaction = db.transaction((items: readonly AppendInput[], at: number) => {
    const assigned = new Map<number, number>();
    const added = new Map<number, number>();
    const results: AppendOutcome[] = [];
    let firstId: number | bigint | undefined;
    let lastId: number | bigint | undefined;
    for (const { sessionPk, clientId, body } of items) {
      // Counted with or without a budget, so one set later finds the count right.
      const bytes = Buffer.byteLength(body);
      if (maxSessionBytes > 0) {
        const stored = storedBytes(sessionPk) + (added.get(sessionPk) ?? 0);
        if (stored + bytes > maxSessionBytes) {
          // A resend of a stored message is still answered with its original.
          const original = clientId === null ? undefined : byClientId.get(sessionPk, clientId);
          results.push(original ? { ...toStored(original), duplicate: true } : new SessionStorageFull(maxSessionBytes));
          continue;
        }
      }
      const seq = (assigned.get(sessionPk) ?? lastSeq(sessionPk)) + 1;
      const info = insert.run(sessionPk, seq, clientId, body, at);
      if (info.changes === 1) {
        firstId ??= info.lastInsertRowid;
        lastId = info.lastInsertRowid;
        assigned.set(sessionPk, seq);
        added.set(sessionPk, (added.get(sessionPk) ?? 0) + bytes);
        results.push({ seq, clientId, body, at, duplicate: false });
      } else {
        // Only the client-id conflict is ignored, so the original must exist.
        const original = byClientId.get(sessionPk, clientId!)!;
        results.push({ ...toStored(original), duplicate: true });
      }
    }
    // Rows are appended, so this transaction's rows are exactly the id range.
    if (firstId !== undefined) index.run(firstId, lastId!);
    // One update per session per commit, not per message (the hot path).
    const totals = new Map<number, number>();
    for (const [sessionPk, bytes] of added) {
      totals.set(sessionPk, storedBytes(sessionPk) + bytes); // read before the update
      addStoredBytes.run(bytes, sessionPk);
    }
    return { results, assigned, totals };
  });

  return {
    lastSeq,

    /**
     * Appends a batch in one transaction (one fsync for all of it) and returns
     * one outcome per input, in order: a result, or SessionStorageFull for an
     * append the session's budget refused (the others are stored). Throws, and
     * changes nothing, on any storage fault.
     */
    append(items: readonly AppendInput[], at: number = Date.now()): AppendOutcome[] {
      const { results, assigned, totals } = appendInTransaction.immediate(items, at);
      for (const [sessionPk, seq] of assigned) lastSeqCache.set(sessionPk, seq);
      for (const [sessionPk, bytes] of totals) storedBytesCache.set(sessionPk, bytes);
      return results;
    },

    /** UTF-8 body bytes the session stores (what MAX_SESSION_BYTES limits). */
    storedBytes,

    /** Rows of the session were deleted (retention): its stored bytes are read again. */
    released(sessionPk: number): void {
      storedBytesCache.delete(sessionPk);
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
      storedBytesCache.delete(sessionPk);
    },
  };
}
