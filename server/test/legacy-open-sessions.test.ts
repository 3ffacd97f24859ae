import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { SUBPROTOCOL } from '../../protocol/wire.js';
import { logCapture } from './log-capture.js';
import { api, expectApiError, history, register, startTestServer, tempDir, upgradeRefusal, useTestServer, type TestServer } from './harness.js';

/**
 * Issue 16: LEGACY_OPEN_SESSIONS lets the original demo's clients in
 * unchanged (text mode, no token, an existing ID), and nothing else.
 * The Python client is written as the demo's README describes; Debian's
 * python3-websockets comes from scripts/ensure-test-deps.sh.
 */
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const DEMO_CLIENT = resolve(import.meta.dirname, 'demo_client.py');
const run = promisify(execFile);

function runDemoClient(server: TestServer, id: string, ...messages: string[]) {
  return run(PYTHON, [DEMO_CLIENT, server.httpUrl, server.wsUrl, id, ...messages]);
}

async function tokenlessAdmissions(server: TestServer): Promise<number> {
  const text = await (await api(server, '/metrics')).text();
  return Number(/^wss_tokenless_admissions_total (\d+)$/m.exec(text)?.[1]);
}

describe('LEGACY_OPEN_SESSIONS off (the default)', () => {
  const t = useTestServer({ allowedOrigins: ['http://demo.example'] });

  it('refuses the demo client with 401 once it has registered', async () => {
    const failure = await runDemoClient(t.server, '0101', 'hello').then(
      () => null,
      (err: { stdout: string; stderr: string }) => err,
    );
    expect(failure?.stdout.trim()).toBe('201');
    expect(failure?.stderr).toMatch(/HTTP 401/);
    expect(await tokenlessAdmissions(t.server)).toBe(0);
  });

  it('gives GET /stream no CORS header, even for an allowed origin', async () => {
    const res = await api(t.server, '/stream?id=c1', { headers: { origin: 'http://demo.example' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('LEGACY_OPEN_SESSIONS on', () => {
  const t = useTestServer({ legacyOpenSessions: true, allowedOrigins: ['http://demo.example'] });

  it('lets the demo client register, connect without a token, send and read "<ID>: <text>"', async () => {
    const { stdout } = await runDemoClient(t.server, '0101', 'hello', 'olá, mundo');
    expect(stdout.split('\n').filter(Boolean)).toEqual(['201', '0101: hello', '0101: olá, mundo']);
    expect(await tokenlessAdmissions(t.server)).toBe(1);
  });

  it('stores what a tokenless client sends in the session history its token holder reads', async () => {
    const { token } = await register(t.server, 'kept');
    const client = await t.connect('kept');
    client.send('from the demo');
    expect(await client.next()).toBe('kept: from the demo');
    expect((await history(t.server, 'kept', token)).messages.map((m) => m.body)).toEqual(['from the demo']);
    expect(await tokenlessAdmissions(t.server)).toBe(1);
  });

  it('admits a text connection presenting the token as before, without counting it as tokenless', async () => {
    const { token } = await register(t.server, 'held');
    const client = await t.connect('held', { token });
    client.send('x');
    expect(await client.next()).toBe('held: x');
    expect(await tokenlessAdmissions(t.server)).toBe(0);
  });

  it('never creates a session by connecting: an unknown ID is 404', async () => {
    const refusal = await upgradeRefusal(`${t.server.wsUrl}/ws/nobody`);
    expect(refusal.status).toBe(404);
    expect(refusal.body.error.code).toBe('session_not_found');
  });

  it('still refuses a wrong token (401), JSON mode without a token (401) and a resume without a token (401)', async () => {
    await register(t.server, 'guarded');
    const wrong = await upgradeRefusal(`${t.server.wsUrl}/ws/guarded`, { headers: { authorization: `Bearer ${'A'.repeat(43)}` } });
    expect(wrong.status).toBe(401);
    const json = await upgradeRefusal(`${t.server.wsUrl}/ws/guarded`, { protocol: SUBPROTOCOL });
    expect(json.status).toBe(401);
    const resume = await upgradeRefusal(`${t.server.wsUrl}/ws/guarded?after=0`, { protocol: SUBPROTOCOL });
    expect(resume.status).toBe(401);
    // An empty token is a client that meant to present one: 401, not admitted as tokenless.
    const emptyQuery = await upgradeRefusal(`${t.server.wsUrl}/ws/guarded?token=`);
    expect(emptyQuery.status).toBe(401);
    const emptyBearer = await upgradeRefusal(`${t.server.wsUrl}/ws/guarded`, { headers: { authorization: 'Bearer ' } });
    expect(emptyBearer.status).toBe(401);
    // Another scheme (a Basic-auth proxy in front) is no token: the demo client is still admitted without one.
    const behindProxy = await t.connect('guarded', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    behindProxy.send('via proxy');
    expect(await behindProxy.next()).toBe('guarded: via proxy');
    expect(await tokenlessAdmissions(t.server)).toBe(1);
  });

  it("a revocation closes the old token's sockets, not the tokenless ones (they held no token)", async () => {
    const { token } = await register(t.server, 'revoked-demo');
    const tokenless = await t.connect('revoked-demo');
    const held = await t.connect('revoked-demo', { token });
    const revoke = await api(t.server, '/api/sessions/revoked-demo/token', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(revoke.status).toBe(200);
    expect((await held.closed).code).toBe(4002);
    tokenless.send('still open');
    expect(await tokenless.next()).toBe('revoked-demo: still open');
  });

  it('still needs the token for history, search, export, settings and delete', async () => {
    await register(t.server, 'private');
    for (const [method, path] of [
      ['GET', '/api/sessions/private/messages'],
      ['GET', '/api/sessions/private/search?q=a'],
      ['GET', '/api/sessions/private/export'],
      ['GET', '/api/sessions/private'],
      ['DELETE', '/api/sessions/private'],
    ] as const) {
      await expectApiError(await api(t.server, path, { method }), 401, 'unauthorized');
    }
    // A registered ID is not handed out again: the demo's registration of a taken ID is 409.
    await expectApiError(await api(t.server, '/stream?id=private'), 409, 'session_exists');
  });

  it('answers GET /stream cross-origin for an allowed origin only, errors included', async () => {
    const allowed = await api(t.server, '/stream?id=cors1', { headers: { origin: 'http://demo.example' } });
    expect(allowed.status).toBe(201);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://demo.example');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    expect(allowed.headers.get('vary')).toMatch(/origin/i);
    const taken = await api(t.server, '/stream?id=cors1', { headers: { origin: 'http://demo.example' } });
    expect(taken.status).toBe(409);
    expect(taken.headers.get('access-control-allow-origin')).toBe('http://demo.example');

    for (const origin of ['http://other.example', 'null']) {
      const res = await api(t.server, '/stream?id=cors2', { headers: { origin } });
      await expectApiError(res, 403, 'origin_not_allowed');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    // No other route gains CORS.
    const post = await api(t.server, '/api/sessions', { method: 'POST', headers: { origin: 'http://demo.example' } });
    expect(post.status).toBe(201);
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('LEGACY_OPEN_SESSIONS with Origin null listed', () => {
  const t = useTestServer({ legacyOpenSessions: true, allowedOrigins: ['null'] });

  it('answers a page opened from a file (Origin null) and lets its WebSocket in', async () => {
    const res = await api(t.server, '/stream?id=file1', { headers: { origin: 'null' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('access-control-allow-origin')).toBe('null');
    const client = await t.connect('file1', { headers: { origin: 'null' } });
    client.send('from a file');
    expect(await client.next()).toBe('file1: from a file');
  });
});

describe('the start-up warning', () => {
  const folders: Array<ReturnType<typeof tempDir>> = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) folder.remove();
  });

  for (const on of [true, false]) {
    it(`is ${on ? 'one line' : 'absent'} with the setting ${on ? 'on' : 'off'}`, async () => {
      const folder = tempDir();
      folders.push(folder);
      const log = logCapture();
      const server = await startTestServer(folder.dir, { legacyOpenSessions: on, logLevel: 'info' }, log.stream);
      await server.close();
      const warnings = log.atLeast(40).filter((line) => line.includes('LEGACY_OPEN_SESSIONS'));
      expect(warnings).toHaveLength(on ? 1 : 0);
      if (on) expect(warnings[0]).toMatch(/without a token/);
    });
  }
});
