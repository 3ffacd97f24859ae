import { execFile } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { backupDatabase } from '../../server/store/sqlite/backup.js';
import { startTestServer, useTestServer } from '../../server/test/harness.js';
import { nodeClient, record, sharedTokens, wholeHistory } from './helpers.js';

const RESTORE = resolve(import.meta.dirname, '../../dist/server/restore-cli.js');
const run = promisify(execFile);
const t = useTestServer();

describe('a history that was replaced', () => {
  it('resets after a restore from an older backup: drops what it held, then follows the restored history', async () => {
    const client = nodeClient(t.server.httpUrl, { backoff: { minMs: 20, maxMs: 200 } });
    await client.open('e-restore');
    await client.connect();
    for (let i = 1; i <= 2; i++) await client.send(`kept ${i}`);
    const backup = join(t.dir, 'backup.db');
    await backupDatabase(t.server.config.dbPath, backup);
    for (let i = 3; i <= 5; i++) await client.send(`lost ${i}`);
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
    const before = nodeClient(t.server.httpUrl, { tokenStore });
    await before.open('e-anew');
    await before.connect();
    for (let i = 1; i <= 3; i++) await before.send(`old ${i}`);
    const resume = { after: before.cursor, epoch: before.epoch };
    expect(resume.epoch).not.toBeNull();
    await before.delete();

    const other = nodeClient(t.server.httpUrl, { tokenStore });
    await other.open('e-anew');
    await other.connect();
    for (let i = 1; i <= 5; i++) await other.send(`new ${i}`);

    // A page that held the old history comes back (a reload with its cursor and epoch, the same browser's token).
    const returning = nodeClient(t.server.httpUrl, { tokenStore });
    const resets = record(returning, 'reset');
    const seen = record(returning, 'message');
    await returning.open('e-anew');
    await returning.connect(resume);
    expect(resets).toHaveLength(1);
    expect(resets[0]!.epoch).not.toBe(resume.epoch);
    expect(seen.map((m) => m.body)).toEqual(['new 1', 'new 2', 'new 3', 'new 4', 'new 5']);
    expect(returning.epoch).toBe(resets[0]!.epoch);
  });

  it('resets after npm run restore (new epochs), even when the restored session has as many messages again as it held', async () => {
    const tokenStore = sharedTokens();
    const before = nodeClient(t.server.httpUrl, { tokenStore });
    await before.open('e-epoch');
    await before.connect();
    for (let i = 1; i <= 2; i++) await before.send(`kept ${i}`);
    const backup = join(t.dir, 'epoch-backup.db');
    await backupDatabase(t.server.config.dbPath, backup);
    for (let i = 3; i <= 4; i++) await before.send(`lost ${i}`);
    const resume = { after: before.cursor, epoch: before.epoch };
    await before.close();

    await t.server.close();
    await run(process.execPath, [RESTORE, backup, '--force'], { env: { ...process.env, DB_PATH: t.server.config.dbPath } });
    const restored = await startTestServer(t.dir, { httpPort: t.server.httpPort, wsPort: t.server.wsPort });
    try {
      // Seqs 3 and 4 come back with other messages: a cursor alone (4 = lastSeq) could not tell.
      const writer = nodeClient(restored.httpUrl, { tokenStore });
      await writer.open('e-epoch');
      await writer.connect();
      for (let i = 3; i <= 4; i++) await writer.send(`new ${i}`);

      const returning = nodeClient(restored.httpUrl, { tokenStore });
      const resets = record(returning, 'reset');
      const seen = record(returning, 'message');
      await returning.open('e-epoch');
      await returning.connect(resume);
      expect(resets).toHaveLength(1);
      expect(resets[0]!.epoch).not.toBe(resume.epoch);
      expect(seen.map((m) => m.body)).toEqual(['kept 1', 'kept 2', 'new 3', 'new 4']);
      expect(returning.epoch).toBe(resets[0]!.epoch);
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
