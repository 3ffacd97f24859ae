import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { backupDatabase } from '../store/sqlite/backup.js';
import { openDatabase } from '../store/sqlite/database.js';
import { restoreDatabase } from '../store/sqlite/restore.js';
import { createMessageLog } from '../store/sqlite/message-log.js';
import { createSessionTable } from '../store/sqlite/sessions.js';
import { register, useTestServer } from './harness.js';

const CLI = resolve(import.meta.dirname, '../../dist/server/backup-cli.js');
const run = promisify(execFile);
const t = useTestServer();

it('npm run backup makes a consistent copy while the server keeps writing', async () => {
  const { token } = await register(t.server, 'kept');
  const client = await t.connect('kept', { token, json: true });
  expect(await client.nextJson()).toMatchObject({ type: 'ready' });
  const acknowledged: string[] = [];
  for (let i = 0; i < 300; i++) {
    client.send({ type: 'send', id: `k${i}`, text: `before ${i}` });
    acknowledged.push(((await client.nextJson()) as { id: string }).id);
  }

  // Writes keep coming while the backup process copies.
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing && i < 100_000; i++) {
      client.send({ type: 'send', id: `d${i}`, text: `during ${i}` });
      await client.next();
    }
  })();
  const target = join(t.dir, 'backup.db');
  const { stdout } = await run(process.execPath, [CLI, target], { env: { ...process.env, DB_PATH: t.server.config.dbPath } });
  writing = false;
  await writer;
  expect(stdout).toMatch(/integrity ok/);

  const copy = new Database(target, { readonly: true });
  try {
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    const ids = new Set(copy.prepare('SELECT client_id FROM messages').pluck().all() as string[]);
    for (const id of acknowledged) expect(ids.has(id)).toBe(true);
    const seqs = copy.prepare('SELECT seq FROM messages ORDER BY session_pk, seq').pluck().all() as number[];
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // a snapshot: no holes
  } finally {
    copy.close();
  }

  // It refuses to overwrite unless told to.
  await expect(run(process.execPath, [CLI, target], { env: { ...process.env, DB_PATH: t.server.config.dbPath } })).rejects.toThrow(/exists/);
  // Pointed at no database (DB_PATH not given as the server has it), it says where it looked and how to point it.
  await expect(run(process.execPath, [CLI, join(t.dir, 'other.db')], { env: { ...process.env, DB_PATH: join(t.dir, 'missing.db') } })).rejects.toThrow(
    /no database at .*missing\.db: give the server's DB_PATH .* or pass --db-path PATH/,
  );
});

it('creates the destination\'s folder and leaves one self-contained file (no -wal or -shm beside it)', async () => {
  const { token } = await register(t.server, 'single');
  const client = await t.connect('single', { token });
  client.send('kept in the copy');
  expect(await client.next()).toBe('single: kept in the copy');
  const folder = join(t.dir, 'backups', 'nested');
  const target = join(folder, 'x.db');
  const { stdout } = await run(process.execPath, [CLI, target], { env: { ...process.env, DB_PATH: t.server.config.dbPath } });
  expect(stdout).toMatch(/integrity ok/);
  expect(readdirSync(folder)).toEqual(['x.db']);
  const copy = new Database(target, { readonly: true });
  try {
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(copy.prepare('SELECT body FROM messages').pluck().all()).toEqual(['kept in the copy']);
  } finally {
    copy.close();
  }
  expect(readdirSync(folder)).toEqual(['x.db']);
});

it('copies a database of many steps as one snapshot while a commit lands between every two steps', async () => {
  const source = join(t.dir, 'steps.db');
  const db = openDatabase(source);
  try {
    const session = createSessionTable(db).create('steps', Buffer.alloc(32), Date.now())!;
    const log = createMessageLog(db);
    const body = 'x'.repeat(1000);
    // About 4 MiB: many of the backup's 1 MiB steps.
    for (let i = 0; i < 40; i++) log.append(Array.from({ length: 100 }, () => ({ sessionPk: session.pk, clientId: null, body })));
    const before = 4000;

    // A commit in every turn of the event loop until the copy is done: between every two steps of the copy.
    const target = join(t.dir, 'steps-copy.db');
    let done = false;
    let during = 0;
    const seen = { partial: false, target: false };
    const writer = (async () => {
      while (!done && during < 100_000) {
        await new Promise((resolve) => setImmediate(resolve));
        if (done) break;
        log.append([{ sessionPk: session.pk, clientId: null, body: 'during' }]);
        during++;
        seen.partial ||= existsSync(`${target}.partial`);
        seen.target ||= existsSync(target);
      }
    })();
    const report = await backupDatabase(source, target);
    done = true;
    await writer;

    expect(during).toBeGreaterThan(3); // commits did land while it copied
    // Written under another name until checked: a copy killed midway is never taken for a backup.
    expect(seen).toEqual({ partial: true, target: false });
    expect([existsSync(target), existsSync(`${target}.partial`)]).toEqual([true, false]);
    expect(report.messages).toBe(before); // the state when it began: none of them, and no restart picked them up
    const copy = new Database(target, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(copy.prepare('SELECT count(*) AS n, max(seq) AS last FROM messages').get()).toEqual({ n: before, last: before });
    } finally {
      copy.close();
    }
  } finally {
    db.close();
  }
});

it('refuses to back a database up onto itself, and to restore what is not one of its backups (replacing nothing)', async () => {
  const source = join(t.dir, 'own.db');
  openDatabase(source).close();
  await expect(backupDatabase(source, source, { overwrite: true })).rejects.toThrow(/is the database itself/);
  const live = join(t.dir, 'live.db');
  const db = openDatabase(live);
  createSessionTable(db).create('live', Buffer.alloc(32), Date.now());
  db.close();
  const empty = join(t.dir, 'empty.db');
  writeFileSync(empty, '');
  const foreign = join(t.dir, 'foreign.db');
  const other = new Database(foreign);
  other.exec('CREATE TABLE notes (text TEXT)');
  other.close();
  for (const file of [empty, foreign]) {
    await expect(restoreDatabase(file, live, { overwrite: true })).rejects.toThrow(/is not a websocket-session backup/);
  }
  const still = new Database(live, { readonly: true });
  try {
    expect(still.prepare('SELECT id FROM sessions').pluck().all()).toEqual(['live']);
  } finally {
    still.close();
  }
  expect(readdirSync(t.dir).filter((f) => f.startsWith('live.db.'))).toEqual([]); // no staging or replaced copy left
});
