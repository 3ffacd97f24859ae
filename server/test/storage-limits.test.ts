import { describe, expect, it } from 'vitest';
import type { EchoFrame, ErrorFrame } from '../../protocol/wire.js';
import { createLogger } from '../logger.js';
import { SessionStorageFullError } from '../domain/model.js';
import { createDiskGuard } from '../store/sqlite/disk-guard.js';
import { generateToken, hashToken } from '../domain/token.js';
import { api, expectApiError, postSession, register, storedCount, tempDir, useTestServer, type TestClient, type TestServer } from './harness.js';
import { withDb } from './sqlite-fixture.js';

/** Bytes stored per session (the MAX_SESSION_BYTES count: messageCost), straight from the database. */
function storedBytes(t: { server: TestServer }, sessionId: string): number {
  return withDb(t.server.config.dbPath, (db) => db.prepare('SELECT stored_bytes FROM sessions WHERE id = ?').pluck().get(sessionId) as number);
}

async function readyJson(connect: () => Promise<TestClient>): Promise<TestClient> {
  const client = await connect();
  expect(await client.nextJson()).toMatchObject({ type: 'ready' });
  return client;
}

describe('storage budget per session (MAX_SESSION_BYTES)', () => {
  const t = useTestServer({ maxSessionBytes: 1000 });

  it('refuses, with session_storage_full, a JSON send that would pass the budget; the connection and other sessions go on', async () => {
    const { token } = await register(t.server, 'full');
    const json = await readyJson(() => t.connect('full', { token, json: true }));
    // A message costs its UTF-8 bytes ('é' is 2), its client id's, and 64 for its row: 400 + 2 + 64.
    for (const [i, text] of ['a'.repeat(400), 'é'.repeat(200)].entries()) {
      json.send({ type: 'send', id: `m${i}`, text });
      expect(await json.nextJson<EchoFrame>()).toMatchObject({ type: 'echo', seq: i + 1 });
    }
    expect(storedBytes(t, 'full')).toBe(932);

    // 5 + 4 + 64 = 73 would make 1005.
    json.send({ type: 'send', id: 'over', text: 'x'.repeat(5) });
    expect(await json.nextJson<ErrorFrame>()).toMatchObject({ type: 'error', code: 'session_storage_full', id: 'over' });
    // An empty message is not free either (0 + 4 + 64 = 68 fits exactly); a resend of a stored message is still acknowledged.
    json.send({ type: 'send', id: 'fits', text: '' });
    expect(await json.nextJson<EchoFrame>()).toMatchObject({ type: 'echo', seq: 3, id: 'fits' });
    json.send({ type: 'send', id: 'm0', text: 'resent' });
    expect(await json.nextJson<EchoFrame>()).toMatchObject({ type: 'echo', seq: 1, id: 'm0' });
    expect(await storedCount(t.server, 'full')).toBe(3);
    expect(storedBytes(t, 'full')).toBe(1000);
    json.send({ type: 'send', id: 'e', text: '' });
    expect(await json.nextJson<ErrorFrame>()).toMatchObject({ type: 'error', code: 'session_storage_full', id: 'e' });

    const other = await register(t.server, 'other');
    const text = await t.connect('other', { token: other.token });
    text.send('another session has its own budget');
    expect(await text.next()).toBe('other: another session has its own budget');
  });

  it('text mode: the refused message closes the connection with 1008 and the code as reason', async () => {
    const { token } = await register(t.server, 'full-text');
    const text = await t.connect('full-text', { token });
    text.send('t'.repeat(936)); // + 64: the whole budget
    expect(await text.next()).toBe(`full-text: ${'t'.repeat(936)}`);
    text.send('tt');
    expect(await text.closed).toEqual({ code: 1008, reason: 'session_storage_full: message not stored' });
    expect(await storedCount(t.server, 'full-text')).toBe(1);
  });

  it('one group commit over several sessions stores what fits and refuses only what does not', async () => {
    const a = await register(t.server, 'batch-a');
    const b = await register(t.server, 'batch-b');
    const [pa, pb] = await Promise.all([a, b].map(async (s) => (await t.server.store.sessions.findById(s.id))!.pk));
    const body = 'z'.repeat(600);
    const outcomes = await t.server.store.messages.append([
      { sessionPk: pa!, clientId: 'a1', body },
      { sessionPk: pb!, clientId: 'b1', body },
      { sessionPk: pa!, clientId: 'a2', body },
      { sessionPk: pb!, clientId: null, body: 'small' },
    ]);
    expect(outcomes.map((o) => (o instanceof SessionStorageFullError ? 'refused' : o instanceof Error ? o.name : o.seq))).toEqual([1, 1, 'refused', 2]);
    expect([storedBytes(t, 'batch-a'), storedBytes(t, 'batch-b')]).toEqual([666, 666 + 69]);
    // The log counts 666 for a too: 268 + 2 + 64 more fit its budget of 1000, one more message does not.
    const more = await t.server.store.messages.append([
      { sessionPk: pa!, clientId: 'a3', body: 'z'.repeat(268) },
      { sessionPk: pa!, clientId: 'a4', body: 'z' },
    ]);
    expect(more.map((o) => (o instanceof SessionStorageFullError ? 'refused' : o instanceof Error ? o.name : o.seq))).toEqual([2, 'refused']);
  });

  it('retention gives the budget back, and the count survives a restart', async () => {
    const { token } = await register(t.server, 'kept');
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const json = await readyJson(() => t.connect('kept', { token, json: true }));
    for (let i = 0; i < 2; i++) {
      json.send({ type: 'send', id: `k${i}`, text: 'k'.repeat(400) });
      expect(await json.nextJson()).toMatchObject({ type: 'echo' });
    }
    json.send({ type: 'send', id: 'k2', text: 'k'.repeat(400) });
    expect(await json.nextJson()).toMatchObject({ type: 'error', code: 'session_storage_full' });

    await t.restart();
    expect(storedBytes(t, 'kept')).toBe(932);
    const again = await readyJson(() => t.connect('kept', { token, json: true }));
    again.send({ type: 'send', id: 'k2', text: 'k'.repeat(400) });
    expect(await again.nextJson()).toMatchObject({ type: 'error', code: 'session_storage_full' });

    const patched = await api(t.server, '/api/sessions/kept', { method: 'PATCH', headers: auth, body: JSON.stringify({ retention: { maxMessages: 1 } }) });
    expect(patched.status).toBe(200);
    expect(await t.server.store.retention.runOnce()).toBe(1);
    expect(storedBytes(t, 'kept')).toBe(466);
    again.send({ type: 'send', id: 'k2', text: 'k'.repeat(400) });
    expect(await again.nextJson()).toMatchObject({ type: 'echo', seq: 3, id: 'k2' });
  });
});

describe('free-disk floor (MIN_FREE_DISK_BYTES)', () => {
  // A floor above any disk's free space: every write is refused, as on a nearly full disk.
  const t = useTestServer({ minFreeDiskBytes: Number.MAX_SAFE_INTEGER });

  it('refuses registrations with 503 storage_unavailable, and creates nothing', async () => {
    await expectApiError(await postSession(t.server, { id: 'new-low' }), 503, 'storage_unavailable');
    await expectApiError(await postSession(t.server), 503, 'storage_unavailable');
    await expectApiError(await api(t.server, '/stream?id=new-low-2'), 503, 'storage_unavailable');
    expect(await t.server.store.sessions.findById('new-low')).toBeUndefined();
    expect(await t.server.store.sessions.findById('new-low-2')).toBeUndefined();
  });

  it('refuses writes with storage_unavailable (JSON) or 1011 (text), stores nothing, and readiness says so', async () => {
    // Registered before the disk ran low: by a second connection, since this server refuses registrations.
    const token = generateToken();
    withDb(t.server.config.dbPath, (db) =>
      db.prepare("INSERT INTO sessions (id, token_hash, created_at, epoch) VALUES ('low', ?, 0, 'epoch')").run(hashToken(token)),
    );
    const json = await readyJson(() => t.connect('low', { token, json: true }));
    json.send({ type: 'send', id: 'l1', text: 'no room' });
    expect(await json.nextJson<ErrorFrame>()).toMatchObject({ type: 'error', code: 'storage_unavailable', id: 'l1' });
    const text = await t.connect('low', { token });
    text.send('no room');
    expect(await text.closed).toMatchObject({ code: 1011 });
    expect(await storedCount(t.server, 'low')).toBe(0);

    await expectApiError(await api(t.server, '/readyz'), 503, 'not_writable');
    expect((await api(t.server, '/healthz')).status).toBe(200);
    const metrics = await (await api(t.server, '/metrics')).text();
    expect(Number(/^wss_disk_free_bytes (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  });
});

describe('disk guard', () => {
  it('reads the real free space with statfs: under a floor above it refuses, under a floor of 1 byte it does not', async () => {
    const folder = tempDir();
    try {
      const logger = createLogger({ level: 'silent', format: 'json' });
      const options = { dbPath: `${folder.dir}/app.db`, intervalMs: 60_000, logger };
      const roomy = createDiskGuard({ ...options, minFreeBytes: 1 });
      expect(roomy.freeBytes).toBeGreaterThan(1);
      expect(roomy.refusal()).toBeNull();
      const tight = createDiskGuard({ ...options, minFreeBytes: Number.MAX_SAFE_INTEGER });
      expect(tight.refusal()?.name).toBe('LowDiskSpace');
      await tight.check();
      expect(tight.refusal()).not.toBeNull();
      const off = createDiskGuard({ ...options, minFreeBytes: 0 });
      expect(off.refusal()).toBeNull();
    } finally {
      folder.remove();
    }
  });
});
