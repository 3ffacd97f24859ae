/**
 * The commit queue over an asynchronous store (PostgreSQL): one batch in
 * flight, the next gathering in the queue, where a delete still reaches it
 * and the commit metrics count one batch per transaction.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLocalBus } from '../bus/local.js';
import { createCommitQueue, type CommitCallback } from '../domain/commit-queue.js';
import { SessionGoneError, type AppendResult } from '../domain/model.js';
import { createLogger } from '../logger.js';
import { openPostgresFixture, type PostgresFixture } from './pg-fixture.js';

const logger = createLogger({ level: 'silent', format: 'json' });
let db: PostgresFixture;
beforeAll(async () => {
  db = await openPostgresFixture({ logger });
});
afterAll(() => db?.close());

/** An append's outcome once its callback ran: the result, or the error; undefined before. */
function track(): { outcome: Error | AppendResult | undefined; done: CommitCallback } {
  const tracked = {
    outcome: undefined as Error | AppendResult | undefined,
    done: (err: Error | null, result?: AppendResult) => (tracked.outcome = err ?? result),
  };
  return tracked;
}

it('holds what arrives while a batch commits for the next transaction, where a delete still discards it', async () => {
  const { store } = db;
  const a = (await store.sessions.create('cq-a', Buffer.alloc(32, 1), 1))!;
  const b = (await store.sessions.create('cq-b', Buffer.alloc(32, 2), 1))!;
  const sizes: number[] = [];
  const queue = createCommitQueue(store.messages, createLocalBus(logger), { onCommit: (size) => sizes.push(size) });

  // Another connection holds session a's row: the first batch waits on the lock, in flight.
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM sessions WHERE pk = $1 FOR UPDATE', [a.pk]);
    const first = track();
    queue.enqueue({ sessionPk: a.pk, clientId: null, body: 'first' }, a.id, first.done);
    await nextTurn(); // the queue flushed: the batch is the store's now
    const other = track();
    const doomed = track();
    queue.enqueue({ sessionPk: b.pk, clientId: null, body: 'meanwhile' }, b.id, other.done);
    queue.enqueue({ sessionPk: a.pk, clientId: null, body: 'discarded' }, a.id, doomed.done);
    await nextTurn(); // a turn in which the queue flushes again: these must still be its own
    queue.discardSession(a.pk, new SessionGoneError());
    expect(doomed.outcome).toBeInstanceOf(SessionGoneError);
    expect([first.outcome, other.outcome]).toEqual([undefined, undefined]);
    await holder.query('COMMIT');
  } finally {
    await holder.end();
  }
  await queue.drain();

  expect(await store.messages.after(a.pk, 0, 10)).toMatchObject([{ seq: 1, body: 'first' }]);
  expect(await store.messages.after(b.pk, 0, 10)).toMatchObject([{ seq: 1, body: 'meanwhile' }]);
  // Two transactions, one append each: the discarded one was never sent.
  expect(sizes).toEqual([1, 1]);
  expect(queue.stats).toEqual({ batches: 2, appends: 2 });
});
