import { StorageUnavailableError } from '../../domain/errors.js';
import {
  messageCost,
  SessionGoneError,
  SessionStorageFullError,
  type AppendInput,
  type AppendOutcome,
  type MessagePage,
  type StoredMessage,
} from '../../domain/model.js';
import type { MessageLog } from '../../domain/ports.js';
import type { Db } from './database.js';

export interface MessageLogOptions {
  /** Largest total of message bytes (messageCost: body, client id, row overhead) a session may store; 0: no limit. */
  maxSessionBytes: number;
  /** Why no write may happen now (free disk under the floor), or null; asked once per batch. */
  refusal(): Error | null;
  /** The clock commits are stamped with. */
  now(): number;
}

const defaults: MessageLogOptions = { maxSessionBytes: 0, refusal: () => null, now: Date.now };

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

/** The port, plus what the rest of the adapter needs synchronously. */
export interface SqliteMessageLog extends MessageLog {
  append(items: readonly AppendInput[]): AppendOutcome[];
  /** The last seq of an existing session, from the cache; undefined when the session does not exist. */
  lastSeqNow(sessionPk: number): number | undefined;
  /** Forgets a deleted session (its rows are purged in the background, see retention.ts). */
  forget(sessionPk: number): void;
}

export function createMessageLog(db: Db, options: Partial<MessageLogOptions> = {}): SqliteMessageLog {
  const { maxSessionBytes, refusal, now } = { ...defaults, ...options };
  // Message ids are never reused (the search index counts every id up to
  // its indexed_upto as done, search-index.ts): SQLite would give the next
  // row max(id) + 1, which goes back when the newest rows are deleted (a
  // purged session). So the id is above both the table's max(id) and the
  // highest id this process assigned or found at its start, kept or
  // deleted (search_forget, search_meta.id_floor): idFloor. max(id) is read
  // once a transaction (one b-tree seek; the write lock is held, so no one
  // else inserts meanwhile), and each row takes the next id.
  const insert = db.prepare<[number, number, number, string | null, string, number]>(
    `INSERT INTO messages (id, session_pk, seq, client_id, body, at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (session_pk, client_id) WHERE client_id IS NOT NULL DO NOTHING`,
  );
  const maxId = db.prepare<[], number>('SELECT coalesce(max(id), 0) FROM messages').pluck();
  let idFloor = db
    .prepare<[], number>(
      `SELECT max(coalesce((SELECT max(id) FROM messages), 0), (SELECT id_floor FROM search_meta),
                  coalesce((SELECT max(id) FROM search_forget), 0))`,
    )
    .pluck()
    .get()!;
  const byClientId = db.prepare<[number, string], MessageRow>(
    'SELECT seq, client_id, body, at FROM messages WHERE session_pk = ? AND client_id = ?',
  );
  // Retention may have deleted the newest rows too: the session's seq floor
  // keeps the numbering from ever going back. No row: the session is gone.
  const lastSeqStmt = db
    .prepare<[number], number>(
      `SELECT max(seq_floor, coalesce((SELECT max(seq) FROM messages WHERE session_pk = sessions.pk), 0))
         FROM sessions WHERE pk = ?`,
    )
    .pluck();
  // A deleted session's rows wait for the purge (retention.ts) but are never read again: one key lookup says the session exists.
  const pageStmt = db.prepare<{ pk: number; before: number; limit: number }, MessageRow>(
    `SELECT seq, client_id, body, at FROM messages
      WHERE session_pk = @pk AND seq < @before AND EXISTS (SELECT 1 FROM sessions WHERE pk = @pk)
      ORDER BY seq DESC LIMIT @limit`,
  );
  const afterStmt = db.prepare<{ pk: number; after: number; limit: number }, MessageRow>(
    `SELECT seq, client_id, body, at FROM messages
      WHERE session_pk = @pk AND seq > @after AND EXISTS (SELECT 1 FROM sessions WHERE pk = @pk)
      ORDER BY seq LIMIT @limit`,
  );

  const storedBytesStmt = db.prepare<[number], number>('SELECT stored_bytes FROM sessions WHERE pk = ?').pluck();
  const addStoredBytes = db.prepare<[number, number]>('UPDATE sessions SET stored_bytes = stored_bytes + ? WHERE pk = ?');

  // Last committed seq per existing session. Only this process writes, so
  // after the first read from disk the cache is the truth; it is updated
  // only after a COMMIT, so a rolled-back batch leaves no hole in the
  // numbering. A deleted session is forgotten, so a miss reads the database,
  // which says whether the session still exists.
  const lastSeqCache = new Map<number, number>();
  const lastSeqNow = (sessionPk: number): number | undefined => {
    let seq = lastSeqCache.get(sessionPk);
    if (seq === undefined) {
      seq = lastSeqStmt.get(sessionPk);
      if (seq !== undefined) lastSeqCache.set(sessionPk, seq);
    }
    return seq;
  };

  // Body bytes stored per session (the budget), cached like the last seq and
  // likewise updated only after a COMMIT. Deletes (retention, by trigger,
  // migration 6) lower the stored count behind the cache's back, so the
  // cache can only be too high: before refusing, the count is read again.
  const storedBytesCache = new Map<number, number>();
  const storedBytes = (sessionPk: number): number => {
    let bytes = storedBytesCache.get(sessionPk);
    if (bytes === undefined) {
      bytes = storedBytesStmt.get(sessionPk) ?? 0;
      storedBytesCache.set(sessionPk, bytes);
    }
    return bytes;
  };
  const fitsBudget = (sessionPk: number, pending: number): boolean => {
    if (storedBytes(sessionPk) + pending <= maxSessionBytes) return true;
    storedBytesCache.delete(sessionPk); // retention may have given room back since it was read
    return storedBytes(sessionPk) + pending <= maxSessionBytes;
  };

  const appendInTransaction = db.transaction((items: readonly AppendInput[], at: number) => {
    const assigned = new Map<number, number>();
    const added = new Map<number, number>();
    const results: AppendOutcome[] = [];
    let lastId = Math.max(idFloor, maxId.get()!);
    for (const { sessionPk, clientId, body } of items) {
      const last = assigned.get(sessionPk) ?? lastSeqNow(sessionPk);
      if (last === undefined) {
        results.push(new SessionGoneError());
        continue;
      }
      // Counted with or without a budget, so one set later finds the count right.
      const bytes = messageCost(clientId, body);
      if (maxSessionBytes > 0 && !fitsBudget(sessionPk, (added.get(sessionPk) ?? 0) + bytes)) {
        // A resend of a stored message is still answered with its original.
        const original = clientId === null ? undefined : byClientId.get(sessionPk, clientId);
        results.push(original ? { ...toStored(original), duplicate: true } : new SessionStorageFullError(maxSessionBytes));
        continue;
      }
      const seq = last + 1;
      const info = insert.run(lastId + 1, sessionPk, seq, clientId, body, at);
      if (info.changes === 1) {
        lastId += 1;
        assigned.set(sessionPk, seq);
        added.set(sessionPk, (added.get(sessionPk) ?? 0) + bytes);
        results.push({ seq, clientId, body, at, duplicate: false });
      } else {
        // Only the client-id conflict is ignored, so the original must exist.
        const original = byClientId.get(sessionPk, clientId!)!;
        results.push({ ...toStored(original), duplicate: true });
      }
    }
    // One update per session per commit, not per message (the hot path).
    const totals = new Map<number, number>();
    for (const [sessionPk, bytes] of added) {
      // The cache serves only the budget check: without a budget, no read for it.
      if (maxSessionBytes > 0) totals.set(sessionPk, storedBytes(sessionPk) + bytes); // read before the update
      addStoredBytes.run(bytes, sessionPk);
    }
    return { results, assigned, totals, lastId };
  });

  return {
    /** Synchronous: SQLite commits in this turn, so group commit adds no tick. */
    append(items) {
      const refused = refusal();
      if (refused !== null) throw new StorageUnavailableError(refused.message, { kind: 'refused', cause: refused });
      const { results, assigned, totals, lastId } = appendInTransaction.immediate(items, now());
      idFloor = lastId;
      for (const [sessionPk, seq] of assigned) lastSeqCache.set(sessionPk, seq);
      for (const [sessionPk, bytes] of totals) storedBytesCache.set(sessionPk, bytes);
      return results;
    },

    async lastSeq(sessionPk) {
      return lastSeqNow(sessionPk) ?? 0;
    },

    async lastSeqs(sessionPks) {
      const seqs = new Map<number, number>();
      for (const pk of sessionPks) {
        const seq = lastSeqNow(pk);
        if (seq !== undefined) seqs.set(pk, seq);
      }
      return seqs;
    },

    async after(sessionPk, afterSeq, limit) {
      return afterStmt.all({ pk: sessionPk, after: afterSeq, limit }).map(toStored);
    },

    async page(sessionPk, before, limit): Promise<MessagePage> {
      const rows = pageStmt.all({ pk: sessionPk, before, limit: limit + 1 });
      const hasMore = rows.length > limit;
      if (hasMore) rows.pop();
      return { messages: rows.reverse().map(toStored), hasMore };
    },

    lastSeqNow,

    forget(sessionPk) {
      lastSeqCache.delete(sessionPk);
      storedBytesCache.delete(sessionPk);
    },
  };
}
