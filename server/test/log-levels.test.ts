import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { stdoutDestination } from '../log-destination.js';
import { api, postSession, register, startTestServer, tempDir, TestClient, type TestServer } from './harness.js';
import { logCapture } from './log-capture.js';

/**
 * 5xx is not the same as a fault: a 503 the server answers on purpose
 * (not_writable, storage_unavailable) is logged at warn without a stack; only
 * `internal`, a bug, is an error with one. HTTP routes and upgrades alike.
 */
let server: TestServer | undefined;
let folder: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await server?.close().catch(() => undefined);
  folder?.remove();
});

type Line = { level: number; msg: string; code?: string; err?: { stack?: string } };
const parsed = (lines: string[]) => lines.map((line) => JSON.parse(line) as Line);

it('logs the 503s it answers on purpose at warn, without a stack', async () => {
  const log = logCapture();
  folder = tempDir();
  server = await startTestServer(folder.dir, { logLevel: 'info' }, log.stream);
  const { token } = await register(server, 'levels');
  const clear = server.faults.readOnly();
  expect((await api(server, '/readyz')).status).toBe(503);
  const post = await postSession(server, { id: 'another' });
  expect(post.status).toBe(503);
  expect(await post.json()).toMatchObject({ error: { code: 'storage_unavailable' } });
  clear();
  const client = new TestClient(`${server.wsUrl}/ws/levels`, { token });
  await client.opened;
  client.close();

  expect(log.atLeast(50)).toEqual([]);
  const refusals = parsed(log.lines).filter((line) => line.level === 40 && line.msg === 'request refused');
  expect(refusals.map((line) => line.code).sort()).toEqual(['not_writable', 'storage_unavailable']);
  for (const line of refusals) expect(line.err).toBeUndefined();
});

it('logs a real fault (internal) at error with its stack', async () => {
  const log = logCapture();
  folder = tempDir();
  server = await startTestServer(folder.dir, { logLevel: 'info' }, log.stream);
  await register(server, 'broken');
  server.faults.closeConnection();
  expect((await postSession(server, { id: 'other' })).status).toBe(500);
  const errors = parsed(log.atLeast(50));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ msg: 'request failed', code: 'internal' });
  expect(errors[0]!.err?.stack).toMatch(/\n\s+at /);
});

it('logs a response the client cut short (socket closed mid-body) as information, not as a fault', async () => {
  const log = logCapture();
  folder = tempDir();
  const staticDir = join(folder.dir, 'static');
  mkdirSync(staticDir);
  // Far more than loopback's socket buffers hold, so the body cannot be all written when the client goes.
  writeFileSync(join(staticDir, 'big.txt'), Buffer.alloc(64 * 1024 * 1024, 'x'));
  server = await startTestServer(folder.dir, { logLevel: 'info', staticDir }, log.stream);
  const { port } = new URL(server.httpUrl);
  const socket = connect(Number(port), '127.0.0.1');
  socket.write(`GET /big.txt HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  // The first bytes of the answer, then gone.
  await new Promise((resolve) => socket.once('data', resolve));
  socket.destroy();
  expect(await log.line((entry) => entry.msg === 'response cut short by the client')).toMatchObject({ url: '/big.txt' });
  expect(log.atLeast(50)).toEqual([]);
});

it('many loggers on one stdout add one error listener to it, and an error there stops them all', () => {
  const stream = new PassThrough();
  const destinations = Array.from({ length: 20 }, () => stdoutDestination(stream));
  expect(stream.listenerCount('error')).toBe(1);
  stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  const before = stream.writableLength;
  for (const destination of destinations) destination.write('{"msg":"after the error"}\n');
  expect(stream.writableLength).toBe(before);
  let flushed: Error | null | undefined;
  destinations[7]!.flush((err) => (flushed = err));
  expect(flushed?.message).toBe('write EPIPE');
});
