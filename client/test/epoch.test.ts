import { execFile } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { backupDatabase } from '../../server/store/sqlite/backup.js';
import { startTestServer, useTestServer } from '../../server/test/harness.js';
import type { ClientOptions, SessionClient } from '../src/index.js';
import { nodeClient, record, sharedTokens, wholeHistory } from './helpers.js';

const RESTORE = resolve(import.meta.dirname, '../../dist/server/restore-cli.js');
const run = promisify(execFile);
const t = useTestServer();

/** `${prefix} ${from}` to `${prefix} ${to}`. */
const numbered = (prefix: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${prefix} ${from + i}`);

/** Sends `texts` one after another, each acknowledged before the next. */
async function sendAll(client: SessionClient, texts: string[]): Promise<void> {
  for (const text of texts) await client.send(text);
}

/** A client of `sessionId` at `baseUrl`, opened and connected, that has sent `texts`. */
async function seeded(baseUrl: string, sessionId: string, texts: string[], options: Partial<ClientOptions> = {}): Promise<SessionClient> {
  const client = nodeClient(baseUrl, options);
  await client.open(sessionId);
  await client.connect();
  await sendAll(client, texts);
  return client;
}

/**
 * A page that held another epoch's history comes back (a reload with its
 * cursor and epoch, the same browser's token): it is told to reset once, to
 * the session's new epoch, and then shows `bodies`.
 */
async function expectReset(baseUrl: string, sessionId: string, tokenStore: ClientOptions['tokenStore'], resume: { after: number | null; epoch: string | null }, bodies: string[]) {
  const returning = nodeClient(baseUrl, { tokenStore });
  const resets = record(returning, 'reset');
  const seen = record(returning, 'message');
  await returning.open(sessionId);
  await returning.connect(resume);
  expect(resets).toHaveLength(1);
  expect(resets[0]!.epoch).not.toBe(resume.epoch);
  expect(seen.map((m) => m.body)).toEqual(bodies);
  expect(returning.epoch).toBe(resets[0]!.epoch);
}

describe('a history that was replaced', () => {
  it('resets after a restore from an older backup: drops what it held, then follows the restored history', async () => {
    const client = await seeded(t.server.httpUrl, 'e-restore', numbered('kept', 1, 2), { backoff: { minMs: 20, maxMs: 200 } });
    const backup = join(t.dir, 'backup.db');
    await backupDatabase(t.server.config.dbPath, backup);
    await sendAll(client, numbered('lost', 3, 5));
    expect(client.cursor).toBe(5);

    const resets = record(client, 'reset');
    const states = record(client, 'state');
    const seen = record(client, 'message');
    // Restore as the README says: stop, copy the backup over the database, start.
    await t.server.close();
    const db = t.server.config.dbPath;
    copyFileSync(backup, db);
    rmSync(`${db}-wal`, { force: true });
    rmSync(`${db}-shm`, { force: true });
    const restored = await startTestServer(t.dir, { httpPort: t.server.httpPort, wsPort: t.server.wsPort });
    try {
      await states.until((all) => all.some((s) => s.status === 'open'));
      expect(resets).toHaveLength(1);
      expect(client.cursor).toBe(2);
      // Seq 3 is a new message now, not the lost one: it must reach the client (a stale cursor would hide it).
      expect(await client.send('new 3')).toMatchObject({ seq: 3, body: 'new 3' });
      const afterReset = seen.map((m) => ({ seq: m.seq, body: m.body }));
      const history = (await wholeHistory(client)).map((m) => ({ seq: m.seq, body: m.body }));
      // Whether the server replays from the start (epochs) or the client resumes at the restored end, what it shows is the server's.
      expect(afterReset).toEqual(history.slice(history.length - afterReset.length));
      expect(history.map((m) => m.body)).toEqual(['kept 1', 'kept 2', 'new 3']);
    } finally {
      await client.close();
      await restored.close();
    }
  });

  it('resets when the ID was registered anew and has more messages than it held', async () => {
    const tokenStore = sharedTokens();
    const before = await seeded(t.server.httpUrl, 'e-anew', numbered('old', 1, 3), { tokenStore });
    const resume = { after: before.cursor, epoch: before.epoch };
    expect(resume.epoch).not.toBeNull();
    await before.delete();

    await seeded(t.server.httpUrl, 'e-anew', numbered('new', 1, 5), { tokenStore });
    await expectReset(t.server.httpUrl, 'e-anew', tokenStore, resume, numbered('new', 1, 5));
  });

  it('resets after npm run restore (new epochs), even when the restored session has as many messages again as it held', async () => {
    const tokenStore = sharedTokens();
    const before = await seeded(t.server.httpUrl, 'e-epoch', numbered('kept', 1, 2), { tokenStore });
    const backup = join(t.dir, 'epoch-backup.db');
    await backupDatabase(t.server.config.dbPath, backup);
    await sendAll(before, numbered('lost', 3, 4));
    const resume = { after: before.cursor, epoch: before.epoch };
    await before.close();

    await t.server.close();
    await run(process.execPath, [RESTORE, backup, '--force'], { env: { ...process.env, DB_PATH: t.server.config.dbPath } });
    const restored = await startTestServer(t.dir, { httpPort: t.server.httpPort, wsPort: t.server.wsPort });
    try {
      // Seqs 3 and 4 come back with other messages: a cursor alone (4 = lastSeq) could not tell.
      await seeded(restored.httpUrl, 'e-epoch', numbered('new', 3, 4), { tokenStore });
      await expectReset(restored.httpUrl, 'e-epoch', tokenStore, resume, ['kept 1', 'kept 2', 'new 3', 'new 4']);
    } finally {
      await restored.close();
    }
  });

  it('reports presence: the open connections of the session', async () => {
    const tokenStore = sharedTokens();
    const a = nodeClient(t.server.httpUrl, { tokenStore });
    const counts = record(a, 'presence');
    await a.open('e-presence');
    await a.connect();
    expect([...counts]).toEqual([{ count: 1 }]);
    const b = nodeClient(t.server.httpUrl, { tokenStore });
    await b.open('e-presence');
    await b.connect();
    await counts.until((all) => all.at(-1)?.count === 2);
    await b.close();
    await counts.until((all) => all.at(-1)?.count === 1);
  });
});
