import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, expectApiError, postSession, register, useTestServer } from './harness.js';

/** Opens a raw TCP connection and resolves with everything the server sent once it closes. */
function rawExchange(port: number, write: (socket: Socket) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect(port, '127.0.0.1', () => write(socket));
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

describe('registration rate limit per IP', () => {
  const t = useTestServer({ registerRateLimit: 3 });

  it('answers 429 with Retry-After beyond the limit, on both registration paths', async () => {
    for (const id of ['r1', 'r2']) expect((await postSession(t.server, { id })).status).toBe(201);
    expect((await api(t.server, '/stream?id=r3')).status).toBe(201);
    const refused = await postSession(t.server, { id: 'r4' });
    await expectApiError(refused, 429, 'too_many_registrations');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await expectApiError(await api(t.server, '/stream?id=r5'), 429, 'too_many_registrations');
    expect(await t.server.store.sessions.findById('r4')).toBeUndefined();
  });
});

describe('slow clients (slowloris)', () => {
  const t = useTestServer({ headersTimeoutMs: 300, requestTimeoutMs: 600 });

  it.each(['http', 'ws'] as const)('cuts off a client that never finishes its headers, on the %s port', async (which) => {
    const port = which === 'http' ? t.server.httpPort : t.server.wsPort;
    const started = performance.now();
    const answer = await rawExchange(port, (s) => s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n'));
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  // A client still sending when its 408 goes out must be able to read it: destroyed at once, the socket would
  // answer the next bytes with a reset, the client's write would fail (EPIPE) and its answer be dropped unread.
  it.each(['http', 'ws'] as const)('lets a client still sending read its 408 (lingering close), on the %s port', async (which) => {
    const port = which === 'http' ? t.server.httpPort : t.server.wsPort;
    const head = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n';
    let received = '';
    const slow = connect(port, '127.0.0.1');
    const failed = new Promise<string>((resolve) => slow.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message)));
    slow.on('data', (chunk: Buffer) => (received += chunk.toString()));
    slow.pause();
    slow.write(head);
    // A second client, connected after it, is answered in the same timeout pass or a later one: its 408 says
    // the first one's is out too.
    await new Promise((resolve) => slow.once('connect', resolve));
    expect(await rawExchange(port, (s) => s.write(head))).toMatch(/^HTTP\/1\.1 408/);
    for (let i = 0; i < 5 && !slow.destroyed; i++) await new Promise((resolve) => slow.write('z', resolve));
    const closed = new Promise((resolve) => slow.once('close', resolve));
    slow.resume();
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(await Promise.race([failed, 'no error'])).toBe('no error');
  });

  it('cuts off a client that never finishes its body', async () => {
    const answer = await rawExchange(t.server.httpPort, (s) =>
      s.write('POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id":'),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('security headers and error bodies', () => {
  const t = useTestServer();

  it('names the WebSocket port as bound in the CSP, also when it was configured as 0', async () => {
    expect(t.server.config.wsPort).toBe(0);
    const csp = (await api(t.server, '/healthz')).headers.get('content-security-policy');
    expect(csp).toMatch(new RegExp(`connect-src 'self'[^;]* ws://127\\.0\\.0\\.1:${t.server.wsPort} `));
  });

  it('sets the security headers on every response: API, errors and static files', async () => {
    const staticDir = join(t.dir, 'static');
    mkdirSync(staticDir);
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>x</title>');
    const withStatic = await t.restart();
    const { wsPort } = withStatic;
    const responses = await Promise.all([
      api(withStatic, '/'),
      api(withStatic, '/healthz'),
      api(withStatic, '/no/such/thing'),
      postSession(withStatic, { id: 'bad id' }),
    ]);
    for (const res of responses) {
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toMatch(new RegExp(`connect-src 'self'[^;]* ws://127\\.0\\.0\\.1:${wsPort} `));
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('answers storage faults with 503 and bugs with 500, never with a stack trace', async () => {
    const { token } = await register(t.server, 'err');
    const clearFault = t.server.faults.readOnly();
    const busy = await postSession(t.server, { id: 'during-fault' });
    const fault = await expectApiError(busy, 503, 'storage_unavailable');
    expect(busy.headers.get('retry-after')).toBe('1');
    clearFault();

    t.server.faults.closeConnection(); // every query now throws a TypeError: a bug, as far as a client can tell
    const broken = await api(t.server, '/api/sessions/err/messages', { headers: { authorization: `Bearer ${token}` } });
    const bug = await expectApiError(broken, 500, 'internal');
    for (const error of [fault, bug]) {
      expect(error.message).not.toMatch(/\bat\s.+:\d+|node_modules|SqliteError|TypeError/);
    }
  });
});
