import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { EchoFrame, ReadyFrame, ResetFrame } from '../../protocol/wire.js';
import { backupDatabase } from '../store/sqlite/backup.js';
import { api, register, upgradeRefusal, useTestServer, wsBase, type TestClient } from './harness.js';

const RESTORE = resolve(import.meta.dirname, '../../dist/server/restore-cli.js');
const run = promisify(execFile);

/** Sends each text and awaits its echo. */
async function sendAll(client: TestClient, texts: string[]): Promise<void> {
  for (const text of texts) {
    client.send({ type: 'send', id: text, text });
    expect(await client.nextJson<EchoFrame>()).toMatchObject({ type: 'echo', id: text });
  }
}

/** The frames up to and including `ready`. */
async function untilReady(client: TestClient): Promise<Array<EchoFrame | ReadyFrame | ResetFrame>> {
  const frames: Array<EchoFrame | ReadyFrame | ResetFrame> = [];
  for (;;) {
    const frame = await client.nextJson<EchoFrame | ReadyFrame | ResetFrame>();
    frames.push(frame);
    if (frame.type === 'ready') return frames;
  }
}

const summary = (frames: Array<EchoFrame | ReadyFrame | ResetFrame>) =>
  frames.map((f) => (f.type === 'echo' ? `${f.seq} ${f.text}` : f.type === 'ready' ? `ready ${f.lastSeq}` : 'reset'));

describe('resume epochs', () => {
  const t = useTestServer();

  it('ready carries the epoch, which outlives restarts: a resume with it replays as before, without a reset', async () => {
    const { token } = await register(t.server, 'same');
    const first = await t.connect('same', { token, json: true });
    const { epoch } = await first.nextJson<ReadyFrame>();
    expect(epoch).toMatch(/^[A-Za-z0-9_-]{16}$/);
    await sendAll(first, ['a', 'b']);
    await t.restart();
    const again = await t.connect('same', { token, json: true, query: { after: '1', epoch } });
    expect(summary(await untilReady(again))).toEqual(['2 same: b', 'ready 2']);
  });

  it('after a delete and a new registration of the ID, a resume with the old epoch is reset and replays the new history from seq 1', async () => {
    const old = await register(t.server, 'anew');
    const before = await t.connect('anew', { token: old.token, json: true });
    const { epoch: oldEpoch } = await before.nextJson<ReadyFrame>();
    await sendAll(before, ['old 1', 'old 2', 'old 3']);
    expect((await api(t.server, '/api/sessions/anew', { method: 'DELETE', headers: { authorization: `Bearer ${old.token}` } })).status).toBe(204);

    const renewed = await register(t.server, 'anew');
    const writer = await t.connect('anew', { token: renewed.token, json: true });
    const { epoch: newEpoch } = await writer.nextJson<ReadyFrame>();
    expect(newEpoch).not.toBe(oldEpoch);
    await sendAll(writer, ['new 1', 'new 2']);

    // A tab that held the old history resumes with its cursor (3) and epoch: seqs 1 and 2 mean other messages now.
    const tab = await t.connect('anew', { token: renewed.token, json: true, query: { after: '3', epoch: oldEpoch } });
    const frames = await untilReady(tab);
    expect(frames[0]).toEqual({ type: 'reset', epoch: newEpoch });
    expect(summary(frames)).toEqual(['reset', '1 anew: new 1', '2 anew: new 2', 'ready 2']);
    expect(frames.at(-1)).toMatchObject({ epoch: newEpoch });
  });

  it('npm run restore gives the restored sessions new epochs: a resume with an old cursor is reset and replays what is there now', async () => {
    const { token } = await register(t.server, 'restored');
    const client = await t.connect('restored', { token, json: true });
    const { epoch: oldEpoch } = await client.nextJson<ReadyFrame>();
    await sendAll(client, ['kept 1', 'kept 2']);
    const backup = join(t.dir, 'backup.db');
    await backupDatabase(t.server.config.dbPath, backup);
    await sendAll(client, ['lost 3', 'lost 4', 'lost 5']);

    await t.server.close();
    const { stdout } = await run(process.execPath, [RESTORE, backup, '--force'], { env: { ...process.env, DB_PATH: t.server.config.dbPath } });
    expect(stdout).toMatch(/1 sessions \(each with a new epoch\), 2 messages/);
    // What it replaced is kept whole beside it, the messages written after the backup included.
    const kept = /kept at (\S+)/.exec(stdout)?.[1];
    expect(kept).toMatch(/\.replaced-/);
    const old = new Database(kept!, { readonly: true, fileMustExist: true });
    try {
      expect(old.prepare('SELECT body FROM messages ORDER BY seq').pluck().all()).toEqual(['kept 1', 'kept 2', 'lost 3', 'lost 4', 'lost 5']);
    } finally {
      old.close();
    }
    expect(readdirSync(dirname(kept!)).filter((f) => f.startsWith(`${basename(kept!)}-`))).toEqual([]); // no -wal or -shm beside it
    await t.restart();

    // Seqs 3 and 4 are written anew after the restore: a client keeping "lost 3..5" would never see them.
    const writer = await t.connect('restored', { token, json: true });
    const { epoch: newEpoch } = await writer.nextJson<ReadyFrame>();
    expect(newEpoch).not.toBe(oldEpoch);
    await sendAll(writer, ['new 3', 'new 4']);

    const resumed = await t.connect('restored', { token, json: true, query: { after: '5', epoch: oldEpoch } });
    const frames = await untilReady(resumed);
    expect(frames[0]).toEqual({ type: 'reset', epoch: newEpoch });
    expect(summary(frames)).toEqual(['reset', '1 restored: kept 1', '2 restored: kept 2', '3 restored: new 3', '4 restored: new 4', 'ready 4']);
  });

  it('npm run restore refuses while a server has the database open (said first: --force cannot help), and without --force, replacing nothing', async () => {
    const { token } = await register(t.server, 'busy');
    const backup = join(t.dir, 'busy-backup.db');
    await backupDatabase(t.server.config.dbPath, backup);
    const env = { ...process.env, DB_PATH: t.server.config.dbPath };
    await expect(run(process.execPath, [RESTORE, backup, '--force'], { env })).rejects.toThrow(/in use \(a server has it open\)/);
    await expect(run(process.execPath, [RESTORE, backup], { env })).rejects.toThrow(/in use \(a server has it open\)/);
    // A database no server holds: --force is what is missing.
    const idle = join(t.dir, 'idle.db');
    await backupDatabase(t.server.config.dbPath, idle);
    await expect(run(process.execPath, [RESTORE, backup], { env: { ...env, DB_PATH: idle } })).rejects.toThrow(/idle\.db exists; pass --force/);
    // With DATABASE_URL the data is in PostgreSQL: neither command touches SQLite's file.
    for (const cli of [RESTORE, RESTORE.replace('restore-cli', 'backup-cli')]) {
      await expect(run(process.execPath, [cli, backup], { env: { ...env, DATABASE_URL: 'postgres://localhost/x' } })).rejects.toThrow(/DATABASE_URL is set/);
    }
    // The server and its database go on as they were.
    const client = await t.connect('busy', { token, json: true });
    expect(await client.nextJson()).toMatchObject({ type: 'ready', lastSeq: 0 });
    await sendAll(client, ['still here']);
  });

  it('refuses a malformed epoch, an epoch without ?after= and one in text mode: 400 invalid_epoch', async () => {
    const { token } = await register(t.server, 'bad-epoch');
    const url = (query: string) => `${wsBase(t.server)}/ws/bad-epoch?${query}`;
    const headers = { authorization: `Bearer ${token}` };
    const cases = [
      { query: 'after=0&epoch=not%20base64url', protocol: 'session.v1' },
      { query: `after=0&epoch=${'A'.repeat(65)}`, protocol: 'session.v1' },
      { query: 'epoch=AAAAAAAAAAAAAAAA', protocol: 'session.v1' },
      { query: 'epoch=AAAAAAAAAAAAAAAA' }, // text mode
    ];
    for (const { query, protocol } of cases) {
      const refusal = await upgradeRefusal(url(query), { headers, ...(protocol ? { protocol } : {}) });
      expect(refusal, query).toMatchObject({ status: 400, body: { error: { code: 'invalid_epoch' } } });
    }
  });
});
