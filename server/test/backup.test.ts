import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
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
