import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { tempDir } from './harness.js';

/**
 * `npm start` as an operator runs it: a SIGTERM to npm reaches node (the
 * script ends in `exec node`), which stops cleanly and frees its ports; and
 * `.env` is read without Node 20's ".env not found" notice when there is none.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'dist/server/main.js');
let folder: ReturnType<typeof tempDir> | undefined;
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  folder?.remove();
});

function serverEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', HTTP_PORT: '0', WS_PORT: '0', DB_PATH: join(dir, 'app.db') };
  for (const name of Object.keys(env)) if (name.startsWith('npm_')) delete env[name];
  return env;
}

/** Resolves with the bound ports once the server logs them, with everything it printed. */
function listening(proc: ChildProcess) {
  let output = '';
  return new Promise<{ http: number; ws: number; output: () => string }>((done, fail) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening: http:\/\/localhost:(\d+) and ws:\/\/localhost:(\d+)/.exec(output);
      if (match) done({ http: Number(match[1]), ws: Number(match[2]), output: () => output });
    };
    proc.stdout!.on('data', read);
    proc.stderr!.on('data', read);
    proc.once('exit', (code) => fail(new Error(`exited (${code}) before listening: ${output}`)));
  });
}

const exited = (proc: ChildProcess) =>
  new Promise<{ code: number | null; signal: string | null }>((done) => proc.once('exit', (code, signal) => done({ code, signal })));

/** True when nothing listens on `port` any more. */
const portFree = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), done(false)));
    socket.once('error', () => done(true));
  });

it('SIGTERM to npm start stops node: exit 0, ports free, no .env notice', async () => {
  folder = tempDir();
  child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: serverEnv(folder.dir), stdio: ['ignore', 'pipe', 'pipe'] });
  const done = exited(child);
  const { http, ws, output } = await listening(child);
  child.kill('SIGTERM');
  expect(await done).toEqual({ code: 0, signal: null });
  expect(output()).toContain('"msg":"stopped"');
  if (!existsSync(join(ROOT, '.env'))) expect(output()).not.toContain('.env');
  expect([await portFree(http), await portFree(ws)]).toEqual([true, true]);
}, 120_000);

it('reads .env from the working directory; variables already set win', async () => {
  folder = tempDir();
  writeFileSync(join(folder.dir, '.env'), 'HTTP_PORT=not-a-port\nWS_RATE_LIMIT=also-wrong\n');
  // From .env: the bad value stops the start, naming it.
  const fromFile = spawn(process.execPath, [MAIN], { cwd: folder.dir, env: { ...serverEnv(folder.dir), HTTP_PORT: undefined }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  fromFile.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  expect((await exited(fromFile)).code).toBe(2);
  expect(stderr.trim()).toBe('websocket-session: invalid HTTP_PORT "not-a-port": must be a number');

  // Set in the environment: it wins over .env.
  child = spawn(process.execPath, [MAIN], { cwd: folder.dir, env: { ...serverEnv(folder.dir), WS_RATE_LIMIT: '5' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = exited(child);
  await listening(child);
  child.kill('SIGTERM');
  expect((await done).code).toBe(0);
}, 60_000);
