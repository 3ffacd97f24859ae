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
import type { Pool } from './database.js';
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

/** A row of wss_append (migration 3): o_status is one of the four below. */
interface AppendRow {
  o_status: number;
  o_seq: number | null;
  o_client_id: Buffer | null;
  o_body: string | null;
  o_nul_at: number[] | null;
  o_at: number | null;
}
const [STORED, DUPLICATE, GONE] = [0, 1, 2];

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
 * Each call is one statement, so one transaction: batching, and one batch in flight per node,
 * are the commit queue's (domain/commit-queue.ts), whatever the engine.
 */
export function createMessageLog(pool: Pool, options: MessageLogOptions): PostgresMessageLog {
  const { maxSessionBytes, now } = options;

  /**
   * One batch, one statement (wss_append, migration 3): PostgreSQL runs it as
   * its own transaction and commits with synchronous_commit=on. A resend of a
   * client id that came earlier in the same batch is not sent: it shares that
   * item's outcome (a session's bytes only grow within a batch, so a refusal
   * holds for it too), as a duplicate when that one was stored.
   */
  async function appendBatch(items: readonly AppendInput[]): Promise<AppendOutcome[]> {
    /** Indexes of the items sent; for a repeat, the index of its first. */
    const sent: number[] = [];
    const firstOf = new Map<string, number>();
    const repeats = new Map<number, number>();
    items.forEach(({ sessionPk, clientId }, i) => {
      const key = clientId === null ? undefined : `${sessionPk}:${clientId}`;
      const first = key === undefined ? undefined : firstOf.get(key);
      if (first !== undefined) return repeats.set(i, first);
      if (key !== undefined) firstOf.set(key, i);
      sent.push(i);
    });
    const pk: number[] = [], clientIdB: (Buffer | null)[] = [], text: string[] = [], nulAt: (string | null)[] = [], cost: number[] = [];
    for (const i of sent) {
      const { sessionPk, clientId, body } = items[i]!;
      const [stored, nuls] = toStoredText(body);
      pk.push(sessionPk);
      clientIdB.push(clientIdBytes(clientId));
      text.push(stored);
      // An int[] per item cannot go through a 2-D array (ragged): each travels as its literal.
      nulAt.push(nuls && `{${nuls.join(',')}}`);
      cost.push(messageCost(clientId, body));
    }
    const at = now();
    const { rows } = await pool.query<AppendRow>({
      name: 'wss_append',
      text: 'SELECT o_status, o_seq, o_client_id, o_body, o_nul_at, o_at FROM wss_append($1, $2, $3, $4, $5, $6, $7)',
      values: [pk, clientIdB, text, nulAt, cost, at, maxSessionBytes],
    });
    const outcomes: AppendOutcome[] = new Array(items.length);
    sent.forEach((i, r) => {
      const row = rows[r]!;
      const { clientId, body } = items[i]!;
      outcomes[i] =
        row.o_status === STORED ? { seq: row.o_seq!, clientId, body, at, duplicate: false }
        : row.o_status === DUPLICATE ? { ...toStored({ seq: row.o_seq!, client_id: row.o_client_id, body: row.o_body!, nul_at: row.o_nul_at, at: row.o_at! }), duplicate: true }
        : row.o_status === GONE ? new SessionGoneError()
        : new SessionStorageFullError(maxSessionBytes);
    });
    repeats.forEach((first, i) => {
      const outcome = outcomes[first]!;
      outcomes[i] = outcome instanceof Error ? outcome : { ...outcome, duplicate: true };
    });
    return outcomes;
  }

  const after = createAfterReader(pool);
  const pageQuery = `SELECT ${MESSAGE_COLUMNS} FROM messages
     WHERE session_pk = $1 AND seq < $2 AND EXISTS (SELECT 1 FROM sessions WHERE pk = $1)
     ORDER BY seq DESC LIMIT $3`;

  return {
    async append(items) {
      if (items.length === 0) return [];
      return appendBatch(items);
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

    after,

    async page(sessionPk, before, limit): Promise<MessagePage> {
      const { rows } = await pool.query<MessageRow>(pageQuery, [sessionPk, before, limit + 1]);
      const hasMore = rows.length > limit;
      if (hasMore) rows.pop();
      return { messages: rows.reverse().map(toStored), hasMore };
    },
  };
}

interface AfterRequest {
  sessionPk: number;
  afterSeq: number;
  limit: number;
  waiters: Array<{ resolve(rows: StoredMessage[]): void; reject(err: unknown): void }>;
}

/**
 * `after` for every connection of this node, one statement at a time: the
 * reads asked for while one is in flight go together in the next (the same
 * rule as the commit queue's, for the same reason). Every hint from another
 * node is a read per connection of its session; read one by one, a node
 * receiving 1,000 hints a second kept its whole pool busy with as many
 * backends, each a process on the database's CPU, to answer what one
 * statement can. Identical reads (two connections at one cursor) share one
 * answer. Each request still gets at most its `limit` rows, in seq order.
 */
function createAfterReader(pool: Pool): (sessionPk: number, afterSeq: number, limit: number) => Promise<StoredMessage[]> {
  let pending = new Map<string, AfterRequest>();
  let reading = false;

  async function readAll(requests: AfterRequest[]): Promise<void> {
    try {
      const { rows } = await pool.query<MessageRow & { i: number }>({
        name: 'wss_after_many',
        text: `SELECT k.i::int AS i, m.seq, m.client_id, m.body, m.nul_at, m.at
                 FROM unnest($1::bigint[], $2::bigint[], $3::int[]) WITH ORDINALITY AS k(pk, after_seq, lim, i)
                 CROSS JOIN LATERAL (
                   SELECT ${MESSAGE_COLUMNS} FROM messages
                    WHERE session_pk = k.pk AND seq > k.after_seq AND EXISTS (SELECT 1 FROM sessions WHERE pk = k.pk)
                    ORDER BY seq LIMIT k.lim) m
                ORDER BY k.i, m.seq`,
        values: [requests.map((r) => r.sessionPk), requests.map((r) => r.afterSeq), requests.map((r) => r.limit)],
      });
      const answers = requests.map((): StoredMessage[] => []);
      for (const row of rows) answers[row.i - 1]!.push(toStored(row));
      requests.forEach((r, i) => r.waiters.forEach((w) => w.resolve(answers[i]!)));
    } catch (err) {
      for (const r of requests) for (const w of r.waiters) w.reject(err);
    }
  }

  async function pump(): Promise<void> {
    while (pending.size > 0) {
      const batch = [...pending.values()];
      pending = new Map();
      await readAll(batch);
    }
    reading = false;
  }

  return (sessionPk, afterSeq, limit) =>
    new Promise((resolve, reject) => {
      const key = `${sessionPk}:${afterSeq}:${limit}`;
      const request = pending.get(key) ?? { sessionPk, afterSeq, limit, waiters: [] };
      request.waiters.push({ resolve, reject });
      pending.set(key, request);
      // Started after this turn, so the reads asked for in the same turn (a burst of hints) go in one statement.
      if (!reading) {
        reading = true;
        queueMicrotask(() => void pump());
      }
    });
}
