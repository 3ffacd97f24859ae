import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import type { EchoFrame } from '../../protocol/wire.js';
import { ServerProcess } from '../../e2e/server-process.js';
import { register, TestClient } from './harness.js';

// The built server as `npm start` runs it: signals are the process's own business.
let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.stop('SIGKILL');
  server?.removeData();
  server = undefined;
});

it.each(['SIGTERM', 'SIGINT'] as const)(
  '%s: closes sockets with 1001 after echoing every stored message, closes the DB, exits 0 within 5 s',
  async (signal) => {
    server = await ServerProcess.start({ env: { WS_RATE_LIMIT: '0' } }); // the burst is the point
    const { token } = await register(server, 'bye');
    const ws = `ws://127.0.0.1:${server.wsPort}/ws/bye`;
    const json = new TestClient(ws, { protocol: 'session.v1', token });
    const text = new TestClient(ws, { token });
    await Promise.all([json.opened, text.opened]);
    expect(await json.nextJson()).toEqual({ type: 'ready', lastSeq: 0, maxMessageBytes: 65536, epoch: expect.any(String), presence: expect.any(Number) });

    // A burst in flight when the signal lands.
    const echoed = new Set<string>();
    json.ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as EchoFrame;
      if (frame.type === 'echo' && frame.id) echoed.add(frame.id);
    });
    for (let i = 0; i < 500; i++) json.send({ type: 'send', id: `b${i}`, text: `burst ${i}` });
    text.send('text before the signal');
    expect(await text.next()).toBe('bye: text before the signal');
    expect(await json.nextJson()).toMatchObject({ type: 'echo', id: 'b0' });

    const started = performance.now();
    server.child.kill(signal);
    const [jsonClose, textClose, exit] = await Promise.all([json.closed, text.closed, server.exited]);
    const elapsed = performance.now() - started;

    expect(jsonClose.code).toBe(1001);
    expect(textClose.code).toBe(1001);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(elapsed).toBeLessThan(5000);

    // Stored == acknowledged: whatever the server took in was committed and echoed before the 1001.
    const db = new Database(server.dbPath, { readonly: true });
    try {
      const storedIds = db.prepare('SELECT client_id FROM messages WHERE client_id IS NOT NULL').pluck().all() as string[];
      expect(echoed.size).toBeGreaterThan(0);
      expect(new Set(storedIds)).toEqual(echoed);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    // The DB was closed cleanly: the last connection checkpointed and removed its WAL.
    const wal = `${server.dbPath}-wal`;
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
  },
);

it('refuses new connections once shutdown has begun', async () => {
  server = await ServerProcess.start();
  const { token } = await register(server, 'late');
  const client = new TestClient(`ws://127.0.0.1:${server.wsPort}/ws/late`, { token });
  await client.opened;
  server.child.kill('SIGTERM');
  await client.closed;
  await server.exited;
  const late = new TestClient(`ws://127.0.0.1:${server.wsPort}/ws/late`, { token });
  await expect(late.opened).rejects.toThrow();
});

it.each([
  ['the shutdown lines are the first to meet it', false],
  ['a request line met it before', true],
])('SIGTERM with stdout\'s reader gone (EPIPE, a log shipper that died), %s: the process still stops, exit 0', async (_, request) => {
  server = await ServerProcess.start();
  server.child.stdout!.destroy(); // the reading end closes: every later write to stdout is EPIPE
  if (request) expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
  server.child.kill('SIGTERM');
  expect(await server.exited).toEqual({ code: 0, signal: null });
});

it('SIGTERM with a stdout nobody reads (a full pipe): the last lines wait a while, not forever; exit 0', async () => {
  server = await ServerProcess.start();
  const stdout = server.child.stdout!;
  stdout.removeAllListeners('data');
  stdout.pause();
  // 4 MB of request lines (each logs its 8 KB path), far more than the pipe and the reader's buffer hold.
  const path = `/${`${'x'.repeat(99)}/`.repeat(80)}`;
  for (let i = 0; i < 500; i++) await (await fetch(`${server.httpUrl}${path}`)).arrayBuffer();
  server.child.kill('SIGTERM');
  expect(await server.exited).toEqual({ code: 0, signal: null });
});
