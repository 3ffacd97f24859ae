import type pg from 'pg';
import {
  SessionGoneError,
  SessionStorageFullError,
  messageCost,
  type AppendInput,
  type AppendOutcome,
  type MessagePage,
  type StoredMessage,
} from '../../domain/model.js';
import type { MessageLog } from '../../domain/ports.js';
import { transaction, type Pool } from './database.js';
import { clientIdBytes, clientIdText, fromStoredText, toStoredText } from './nul.js';

export interface MessageLogOptions {
  /** Largest total of message bytes (messageCost: body, client id, row overhead) a session may store; 0: no limit. */
  maxSessionBytes: number;
  /** The clock commits are stamped with. */
  now(): number;
}

export interface MessageRow {
  seq: number;
  client_id: Buffer | null;
  body: string;
  nul_at: number[] | null;
  at: number;
}

/** The columns a MessageRow is read from. */
export const MESSAGE_COLUMNS = 'seq, client_id, body, nul_at, at';

export const toStored = (row: MessageRow): StoredMessage => ({
  seq: row.seq,
  clientId: clientIdText(row.client_id),
  body: fromStoredText(row.body, row.nul_at),
  at: row.at,
});

/** The port, plus the last seqs of many sessions in one query (the heal timer of a cluster). */
export interface PostgresMessageLog extends MessageLog {
  append(items: readonly AppendInput[]): Promise<AppendOutcome[]>;
  /** last_seq of each of these sessions that still exists (a missing key: deleted). */
  lastSeqs(sessionPks: readonly number[]): Promise<Map<number, number>>;
}

/**
 * The message log on PostgreSQL, the one source of truth for seq with any
 * number of nodes writing. A batch is one transaction: it locks the batch's
 * session rows in key order (two nodes' batches never deadlock), numbers the
 * new messages from each row's `last_seq`, inserts them, raises `last_seq`,
 * and commits with synchronous_commit=on; only then are the outcomes handed
 * back (and the echoes sent). No seq is cached in the process: with several
 * writers a cache is wrong. `UNIQUE (session_pk, seq)` and
 * `UNIQUE (session_pk, client_id)` are the backstops.
 *
 * Each call is one transaction: batching, and one batch in flight per node,
 * are the commit queue's (domain/commit-queue.ts), whatever the engine.
 */
export function createMessageLog(pool: Pool, options: MessageLogOptions): PostgresMessageLog {
  const { maxSessionBytes, now } = options;

  async function appendBatch(client: pg.PoolClient, items: readonly AppendInput[]): Promise<AppendOutcome[]> {
    const pks = [...new Set(items.map((i) => i.sessionPk))].sort((a, b) => a - b);
    const locked = await client.query<{ pk: number; last_seq: number; stored_bytes: number }>(
      'SELECT pk, last_seq, stored_bytes FROM sessions WHERE pk = ANY($1::bigint[]) ORDER BY pk FOR UPDATE',
      [pks],
    );
    const sessions = new Map(locked.rows.map((r) => [r.pk, { lastSeq: r.last_seq, bytes: r.stored_bytes, changed: false }]));
    // Client ids already stored: read under the row lock, so no other node can store one meanwhile.
    const withId = items.filter((i) => i.clientId !== null && sessions.has(i.sessionPk));
    const originals = new Map<string, StoredMessage>();
    if (withId.length > 0) {
      const { rows } = await client.query<MessageRow & { session_pk: number }>(
        `SELECT m.session_pk, m.seq, m.client_id, m.body, m.nul_at, m.at
           FROM unnest($1::bigint[], $2::bytea[]) AS k(session_pk, client_id)
           JOIN messages m ON m.session_pk = k.session_pk AND m.client_id = k.client_id`,
        [withId.map((i) => i.sessionPk), withId.map((i) => clientIdBytes(i.clientId))],
      );
      for (const row of rows) {
        const message = toStored(row);
        originals.set(`${row.session_pk}:${message.clientId}`, message);
      }
    }

    const at = now();
    const insert = { pk: [] as number[], seq: [] as number[], clientId: [] as (Buffer | null)[], body: [] as string[], nulAt: [] as (string | null)[] };
    const outcomes: AppendOutcome[] = items.map(({ sessionPk, clientId, body }) => {
      const session = sessions.get(sessionPk);
      if (!session) return new SessionGoneError();
      const key = clientId === null ? undefined : `${sessionPk}:${clientId}`;
      const original = key === undefined ? undefined : originals.get(key);
      if (original) return { ...original, duplicate: true };
      const bytes = messageCost(clientId, body);
      if (maxSessionBytes > 0 && session.bytes + bytes > maxSessionBytes) return new SessionStorageFullError(maxSessionBytes);
      const message = { seq: ++session.lastSeq, clientId, body, at };
      session.bytes += bytes;
      session.changed = true;
      if (key !== undefined) originals.set(key, message); // a resend later in the same batch
      insert.pk.push(sessionPk);
      insert.seq.push(message.seq);
      insert.clientId.push(clientIdBytes(clientId));
      const [text, nulAt] = toStoredText(body);
      insert.body.push(text);
      // An int[] per row cannot go through unnest of a 2-D array (ragged): each travels as its literal.
      insert.nulAt.push(nulAt && `{${nulAt.join(',')}}`);
      return { ...message, duplicate: false };
    });
    if (insert.pk.length === 0) return outcomes;

    await client.query(
      `INSERT INTO messages (session_pk, seq, client_id, body, nul_at, at)
       SELECT k.pk, k.seq, k.client_id, k.body, k.nul_at::int[], $6
         FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::text[], $5::text[]) AS k(pk, seq, client_id, body, nul_at)`,
      [insert.pk, insert.seq, insert.clientId, insert.body, insert.nulAt, at],
    );
    const changed = [...sessions].filter(([, s]) => s.changed);
    await client.query(
      `UPDATE sessions s SET last_seq = k.last_seq, stored_bytes = k.bytes
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS k(pk, last_seq, bytes) WHERE s.pk = k.pk`,
      [changed.map(([pk]) => pk), changed.map(([, s]) => s.lastSeq), changed.map(([, s]) => s.bytes)],
    );
    return outcomes;
  }

  const afterQuery = `SELECT ${MESSAGE_COLUMNS} FROM messages
     WHERE session_pk = $1 AND seq > $2 AND EXISTS (SELECT 1 FROM sessions WHERE pk = $1)
     ORDER BY seq LIMIT $3`;
  const pageQuery = `SELECT ${MESSAGE_COLUMNS} FROM messages
     WHERE session_pk = $1 AND seq < $2 AND EXISTS (SELECT 1 FROM sessions WHERE pk = $1)
     ORDER BY seq DESC LIMIT $3`;

  return {
    async append(items) {
      if (items.length === 0) return [];
      return transaction(pool, (client) => appendBatch(client, items));
    },

    async lastSeq(sessionPk) {
      const { rows } = await pool.query<{ last_seq: number }>('SELECT last_seq FROM sessions WHERE pk = $1', [sessionPk]);
      return rows[0]?.last_seq ?? 0;
    },

    async lastSeqs(sessionPks) {
      const { rows } = await pool.query<{ pk: number; last_seq: number }>(
        'SELECT pk, last_seq FROM sessions WHERE pk = ANY($1::bigint[])',
        [sessionPks],
      );
      return new Map(rows.map((r) => [r.pk, r.last_seq]));
    },

    async after(sessionPk, afterSeq, limit) {
      const { rows } = await pool.query<MessageRow>(afterQuery, [sessionPk, afterSeq, limit]);
      return rows.map(toStored);
    },

    async page(sessionPk, before, limit): Promise<MessagePage> {
      const { rows } = await pool.query<MessageRow>(pageQuery, [sessionPk, before, limit + 1]);
      const hasMore = rows.length > limit;
      if (hasMore) rows.pop();
      return { messages: rows.reverse().map(toStored), hasMore };
    },
  };
}

