import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EchoFrame, ErrorFrame } from '../../protocol/wire.js';
import { api, expectApiError, register, storedCount, useTestServer, type TestClient } from './harness.js';

/**
 * A storage fault never produces an echo: JSON clients get an error frame,
 * text clients close 1011; nothing is half-stored, the seq numbering has no
 * hole, and once the fault clears the same server stores and echoes again.
 */
describe('storage faults', () => {
  const t = useTestServer();

  async function readyJson(sessionId: string, token: string): Promise<TestClient> {
    const client = await t.connect(sessionId, { token, json: true });
    expect(await client.nextJson()).toMatchObject({ type: 'ready' });
    return client;
  }

  /** Asserts the fault refuses a JSON send and a text send, then clears it and checks recovery. */
  async function expectFaultHandled(inject: () => void, clear: () => void, body: string): Promise<void> {
    const { token } = await register(t.server, 'faulty');
    const json = await readyJson('faulty', token);
    json.send({ type: 'send', id: 'before', text: 'before the fault' });
    expect(await json.nextJson<EchoFrame>()).toMatchObject({ type: 'echo', seq: 1, id: 'before' });

    inject();
    json.send({ type: 'send', id: 'during', text: body });
    expect(await json.nextJson<ErrorFrame>()).toMatchObject({ type: 'error', code: 'storage_unavailable', id: 'during' });
    const text = await t.connect('faulty', { token });
    text.send(body);
    expect(await text.closed).toMatchObject({ code: 1011 });
    expect(await storedCount(t.server, 'faulty')).toBe(1);
    expect((await api(t.server, '/healthz')).status).toBe(200);

    clear();
    json.send({ type: 'send', id: 'during', text: body });
    expect(await json.nextJson<EchoFrame>()).toMatchObject({ type: 'echo', seq: 2, id: 'during' });
    const text2 = await t.connect('faulty', { token });
    text2.send('after');
    expect(await text2.next()).toBe('faulty: after');
    expect(await storedCount(t.server, 'faulty')).toBe(3);
  }

  it('disk full (PRAGMA max_page_count): error, then recovery', async () => {
    let clear = () => undefined as void;
    await expectFaultHandled(
      () => (clear = t.server.faults.diskFull()),
      () => clear(),
      // Larger than a page: it needs new pages, which the full "disk" refuses.
      'x'.repeat(20_000),
    );
  });

  it('read-only database: error, then recovery', async () => {
    let clear = () => undefined as void;
    await expectFaultHandled(
      () => (clear = t.server.faults.readOnly()),
      () => clear(),
      'refused while read-only',
    );
  });

  it('a DELETE that cannot commit (write lock held elsewhere) is 503 and changes nothing: sockets stay open, session stays', async () => {
    const { token } = await register(t.server, 'keep');
    const auth = { authorization: `Bearer ${token}` };
    const json = await readyJson('keep', token);
    const text = await t.connect('keep', { token });
    json.send({ type: 'send', id: 'before', text: 'before the delete' });
    expect(await json.nextJson<EchoFrame>()).toMatchObject({ type: 'echo', seq: 1, id: 'before' });

    const other = new Database(join(t.dir, 'app.db'));
    try {
      other.exec('BEGIN IMMEDIATE');
      await expectApiError(await api(t.server, '/api/sessions/keep', { method: 'DELETE', headers: auth }), 503, 'storage_unavailable');
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }

    // The same sockets still work: neither was closed with 4001.
    json.send({ type: 'send', id: 'after', text: 'after the failed delete' });
    expect(await json.nextJson<EchoFrame>()).toMatchObject({ type: 'echo', seq: 2, id: 'after' });
    text.send('text after the failed delete');
    expect(await text.next()).toBe('keep: text after the failed delete');
    expect(await json.nextJson<EchoFrame>()).toMatchObject({ type: 'echo', seq: 3 });
    expect((await api(t.server, '/api/sessions/keep', { headers: auth })).status).toBe(200);
    expect(await storedCount(t.server, 'keep')).toBe(3);

    // Once the delete commits, the sockets are closed.
    expect((await api(t.server, '/api/sessions/keep', { method: 'DELETE', headers: auth })).status).toBe(204);
    expect(await json.closed).toMatchObject({ code: 4001 });
    expect(await text.closed).toMatchObject({ code: 4001 });
  });

  it('SQLITE_BUSY (another process holds the write lock): error, then recovery', async () => {
    const other = new Database(join(t.dir, 'app.db'));
    try {
      await expectFaultHandled(
        () => other.exec('BEGIN IMMEDIATE'),
        () => other.exec('ROLLBACK'),
        'refused while locked',
      );
    } finally {
      other.close();
    }
  });
});
