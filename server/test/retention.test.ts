import { describe, expect, it } from 'vitest';
import type { EchoFrame, HistoryPage } from '../../protocol/wire.js';
import { api, register, storedCount, useTestServer, type TestServer } from './harness.js';
import { withDb } from './sqlite-fixture.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 10, 25, 12);

/** Messages 1..count of a session, the i-th written `ageDays(i)` days before NOW. */
async function seed(server: TestServer, sessionId: string, count: number, ageDays: (i: number) => number): Promise<void> {
  const { pk } = (await server.store.sessions.findById(sessionId))!;
  try {
    for (let i = 1; i <= count; i++) {
      server.setClock(NOW - ageDays(i) * DAY);
      await server.store.messages.append([{ sessionPk: pk, clientId: null, body: `m${i}` }]);
    }
  } finally {
    server.setClock(null);
  }
}

/** A retention job over the test server's store, on a clock the test sets. */
function retentionAt(server: TestServer, now: number, limits: { maxAgeMs?: number; maxMessages?: number }, batchSize = 500) {
  return server.retentionRunner({ ...limits, batchSize, now });
}

describe('retention', () => {
  const t = useTestServer();

  it('deletes what is older than the deployment\'s max age, keeps the rest, and seqs go on', async () => {
    const { token } = await register(t.server, 'aged');
    await seed(t.server, 'aged', 10, (i) => 11 - i); // m1 is 10 days old, m10 one day
    const deleted = await retentionAt(t.server, NOW, { maxAgeMs: 5.5 * DAY }).runOnce();
    expect(deleted).toBe(5);
    const page = (await (await api(t.server, '/api/sessions/aged/messages', { headers: { authorization: `Bearer ${token}` } })).json()) as HistoryPage;
    expect(page.messages.map((m) => m.seq)).toEqual([6, 7, 8, 9, 10]);

    // Time passes: everything expires. The numbering must not restart, even after a restart.
    expect(await retentionAt(t.server, NOW + 30 * DAY, { maxAgeMs: 5.5 * DAY }).runOnce()).toBe(5);
    expect(await storedCount(t.server, 'aged')).toBe(0);
    await t.restart();
    const client = await t.connect('aged', { token, json: true });
    expect(await client.nextJson()).toMatchObject({ type: 'ready', lastSeq: 10 });
    client.send({ type: 'send', id: 'after', text: 'after retention' });
    expect(await client.nextJson<EchoFrame>()).toMatchObject({ type: 'echo', seq: 11 });
  });

  it('keeps only the newest N per session, and a session can tighten (not loosen) the deployment\'s limits', async () => {
    const a = await register(t.server, 'count-a');
    await register(t.server, 'count-b');
    await seed(t.server, 'count-a', 30, () => 0);
    await seed(t.server, 'count-b', 30, () => 0);
    const patch = (token: string, body: unknown) =>
      api(t.server, '/api/sessions/count-a', {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const res = await patch(a.token, { retention: { maxMessages: 5 } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: 'count-a', lastSeq: 30, retention: { maxMessages: 5 }, effectiveRetention: { maxMessages: 5 } });
    expect((await patch(a.token, { retention: { maxMessages: -1 } })).status).toBe(400);
    expect((await patch('wrong', { retention: { maxMessages: 5 } })).status).toBe(401);

    await retentionAt(t.server, NOW, { maxMessages: 20 }).runOnce();
    expect(await storedCount(t.server, 'count-a')).toBe(5); // its own, stricter limit
    expect(await storedCount(t.server, 'count-b')).toBe(20); // the deployment's
    const { pk } = (await t.server.store.sessions.findById('count-a'))!;
    expect((await t.server.store.messages.after(pk, 0, 100)).map((m) => m.seq)).toEqual([26, 27, 28, 29, 30]);

    // A looser session limit does not override the deployment's.
    await patch(a.token, { retention: { maxMessages: 1000 } });
    await seed(t.server, 'count-a', 30, () => 0);
    await retentionAt(t.server, NOW, { maxMessages: 20 }).runOnce();
    expect(await storedCount(t.server, 'count-a')).toBe(20);
  });

  it('works in small batches that let echoes through while it runs', async () => {
    const { token } = await register(t.server, 'backlog');
    await seed(t.server, 'backlog', 3000, () => 100);
    const client = await t.connect('backlog', { token });
    const pass = retentionAt(t.server, NOW, { maxAgeMs: DAY }, 200).runOnce();
    let passDone = false;
    void pass.then(() => (passDone = true));
    client.send('during retention');
    expect(await client.next()).toBe('backlog: during retention');
    expect(passDone).toBe(false); // the echo did not wait for the whole pass
    expect(await pass).toBe(3000);
    expect(await storedCount(t.server, 'backlog')).toBe(1);
  });

  it('takes at first its busy share of the event loop, resting between batches in proportion to their time, and all of it once past its ramp', async () => {
    await register(t.server, 'paced');
    await seed(t.server, 'paced', 3000, () => 100);
    /** The event loop's utilisation (busy / elapsed) over a pass that deletes 1,000 rows in batches of 100. */
    const utilisation = async (busyShare: number, maxMessages: number, rampMs?: number) => {
      const start = performance.eventLoopUtilization();
      expect(await t.server.retentionRunner({ maxMessages, batchSize: 100, busyShare, rampMs, now: NOW }).runOnce()).toBe(1000);
      return performance.eventLoopUtilization(start).utilization;
    };
    const paced = await utilisation(0.25, 2000);
    // A pass that has run longer than its ramp takes all the time it needs: a backlog is caught up with.
    const rampedUp = await utilisation(0.25, 1000, 1);
    expect(paced).toBeLessThan(0.75);
    expect(rampedUp).toBeGreaterThan(paced);
    expect(rampedUp).toBeGreaterThan(0.75);
  });

  it('stops between batches when told to (a shutdown never waits for a backlog), and the next pass goes on from there', async () => {
    await register(t.server, 'stopped');
    await seed(t.server, 'stopped', 2000, () => 0);
    const runner = t.server.retentionRunner({ maxMessages: 1, batchSize: 100, now: NOW });
    const pass = runner.runOnce();
    // Stopped once its first batch is in: a turn of the event loop at a time, bounded.
    for (let turn = 0; turn < 10_000 && (await storedCount(t.server, 'stopped')) === 2000; turn++) await new Promise((r) => setImmediate(r));
    await runner.stop();
    const first = await pass;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(1999); // it stopped before the end
    expect(await storedCount(t.server, 'stopped')).toBe(2000 - first);
    expect(await t.server.retentionRunner({ maxMessages: 1, batchSize: 100, now: NOW }).runOnce()).toBe(1999 - first);
    expect(await storedCount(t.server, 'stopped')).toBe(1);
  });

  it('purges a deleted session\'s rows in the background, and its search index entries with them, and nothing of the others', async () => {
    await register(t.server, 'over-limit');
    await seed(t.server, 'over-limit', 10, () => 0);
    const kept = (await t.server.store.sessions.findById('over-limit'))!;
    await t.server.store.sessions.setRetention(kept.pk, { maxAgeMs: null, maxMessages: 5 });
    const { token } = await register(t.server, 'doomed');
    await seed(t.server, 'doomed', 1200, () => 0);
    const { pk } = (await t.server.store.sessions.findById('doomed'))!;
    const rows = () => withDb(t.server.config.dbPath, (db) => db.prepare('SELECT count(*) FROM messages WHERE session_pk = ?').pluck().get(pk));
    const res = await api(t.server, '/api/sessions/doomed', { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(204);
    await t.server.store.retention.purgeDeleted(); // shares the purge the delete started, and looks again before it ends
    expect(rows()).toBe(0);
    // The delete purged; it did not run the retention pass (over-limit keeps its 10 until a pass).
    expect(await storedCount(t.server, 'over-limit')).toBe(10);
    await t.server.store.search.indexed(); // the search worker drops the purged rows' entries, and their log is trimmed
    withDb(t.server.config.dbPath, (db) => {
      expect(db.prepare('SELECT count(*) FROM deleted_sessions').pluck().get()).toBe(0);
      db.exec("INSERT INTO search.fts (fts, rank) VALUES ('integrity-check', 0)");
      expect(db.prepare('SELECT count(*) FROM search.fts WHERE rowid NOT IN (SELECT id FROM messages)').pluck().get()).toBe(0);
      expect(db.prepare('SELECT count(*) FROM search.fts').pluck().get()).toBe(db.prepare('SELECT count(*) FROM messages').pluck().get());
      expect(db.prepare('SELECT count(*) FROM search_forget').pluck().get()).toBe(0);
      // The highest purged id is kept, so no later message takes it (message-log.ts).
      expect(db.prepare('SELECT id_floor FROM search_meta').pluck().get()).toBeGreaterThan(0);
    }, { index: true });
  });
});
