import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, expectApiError, register, startTestServer, tempDir, useTestServer, type TestServer } from './harness.js';
import { errorCode, rawRequest, requestHead } from '../../scripts/abuse/raw-http.js';

describe('PATCH retention: what rounds to no limit is refused', () => {
  const t = useTestServer();

  it.each([1e-9, 5e-9, 0, -1])('maxAgeDays %s is 400 and the stored retention is unchanged', async (maxAgeDays) => {
    const { token } = await register(t.server, 'ret');
    const patch = (days: number) =>
      api(t.server, '/api/sessions/ret', {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ retention: { maxAgeDays: days } }),
      });
    expect((await patch(1)).status).toBe(200);
    await expectApiError(await patch(maxAgeDays), 400, 'invalid_body');
    expect((await t.server.store.sessions.findById('ret'))!.retention.maxAgeMs).toBe(86_400_000);
    // The smallest age that is stored as itself: 1 ms.
    expect((await patch(1 / 86_400_000)).status).toBe(200);
    expect((await t.server.store.sessions.findById('ret'))!.retention.maxAgeMs).toBe(1);
  });
});

describe('handshakes ws would refuse itself get the JSON refusal of every other', () => {
  const t = useTestServer();
  const valid = { key: 'dGhlIHNhbXBsZSBub25jZQ==', version: '13' };

  const handshake = (port: number, token: string, opts: { method?: string; key?: string | null; version?: string | null; protocol?: string }) => {
    const headers = [
      'Connection: Upgrade',
      'Upgrade: websocket',
      `Authorization: Bearer ${token}`,
      ...(opts.key === null ? [] : [`Sec-WebSocket-Key: ${opts.key ?? valid.key}`]),
      ...(opts.version === null ? [] : [`Sec-WebSocket-Version: ${opts.version ?? valid.version}`]),
      ...(opts.protocol === undefined ? [] : [`Sec-WebSocket-Protocol: ${opts.protocol}`]),
    ];
    return rawRequest(port, requestHead(`${opts.method ?? 'GET'} /ws/hs HTTP/1.1`, headers));
  };

  it.each(['ws', 'http'] as const)('on the %s port', async (which) => {
    const { token } = await register(t.server, 'hs');
    const port = which === 'ws' ? t.server.wsPort : t.server.httpPort;
    const cases: Array<[string, Parameters<typeof handshake>[2], number, string]> = [
      ['version 99', { version: '99' }, 400, 'invalid_handshake'],
      ['version 8 (a draft ws still takes; RFC 6455 is 13)', { version: '8' }, 400, 'invalid_handshake'],
      ['no version', { version: null }, 400, 'invalid_handshake'],
      ['key too short', { key: 'abc' }, 400, 'invalid_handshake'],
      ['no key', { key: null }, 400, 'invalid_handshake'],
      ['empty subprotocol between commas', { protocol: 'session.v1,,' }, 400, 'invalid_handshake'],
      ['subprotocol with a space inside', { protocol: 'session.v1 x' }, 400, 'invalid_handshake'],
      ['subprotocol offered twice', { protocol: 'session.v1, session.v1' }, 400, 'invalid_handshake'],
      ['empty subprotocol header', { protocol: '' }, 400, 'invalid_handshake'],
      ['POST', { method: 'POST' }, 405, 'method_not_allowed'],
      ['well-formed but unknown subprotocol', { protocol: 'chat.v9' }, 400, 'unsupported_subprotocol'],
    ];
    for (const [name, opts, status, code] of cases) {
      const res = await handshake(port, token, opts);
      expect([res.status, res.headers['content-type'], errorCode(res)], name).toEqual([status, 'application/json; charset=utf-8', code]);
    }
    const badVersion = await handshake(port, token, { version: '8' });
    expect(badVersion.headers['sec-websocket-version']).toBe('13');
    expect((await handshake(port, token, { method: 'POST' })).headers.allow).toBe('GET');
  });
});

describe('source maps', () => {
  /** A server whose static folder holds a script and its source map, with the full source text. */
  async function withSourceMap(serveSourceMaps: boolean, check: (server: TestServer) => Promise<void>) {
    const folder = tempDir();
    const assets = join(folder.dir, 'static', 'assets');
    mkdirSync(assets, { recursive: true });
    writeFileSync(join(assets, 'app.js'), 'console.log(1);\n');
    writeFileSync(join(assets, 'app.js.map'), JSON.stringify({ version: 3, sourcesContent: ['const secretSource = 1;'] }));
    const server = await startTestServer(folder.dir, { staticDir: join(folder.dir, 'static'), serveSourceMaps });
    try {
      await check(server);
    } finally {
      await server.close();
      folder.remove();
    }
  }

  it('are not served by default, however the path is written; the scripts are', () =>
    withSourceMap(false, async (server) => {
      const script = await api(server, '/assets/app.js');
      expect([script.status, script.headers.get('sourcemap')]).toEqual([200, null]);
      for (const path of ['/assets/app.js.map', '/assets/app.js%2Emap', '/assets/app.js.%6dap', '/assets/app.js.MAP']) {
        const res = await api(server, path);
        expect(res.status, path).toBe(404);
        expect(await res.text()).not.toContain('secretSource');
      }
    }));

  it('are served with SERVE_SOURCE_MAPS', () =>
    withSourceMap(true, async (server) => {
      expect((await api(server, '/assets/app.js')).headers.get('sourcemap')).toBe('app.js.map');
      const res = await api(server, '/assets/app.js.map');
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('secretSource');
    }));
});

describe('Cache-Control: no-store on every answer of the API, /stream and the probes', () => {
  const t = useTestServer();

  it('success or error, whatever the route', async () => {
    const { token } = await register(t.server, 'cache');
    const auth = { authorization: `Bearer ${token}` };
    const responses: Array<[string, Promise<Response>]> = [
      ['POST /api/sessions', api(t.server, '/api/sessions', { method: 'POST' })],
      ['POST /api/sessions 409', api(t.server, '/api/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":"cache"}' })],
      ['GET /stream', api(t.server, '/stream?id=cache-2')],
      ['GET /stream 409', api(t.server, '/stream?id=cache')],
      ['GET session', api(t.server, '/api/sessions/cache', { headers: auth })],
      ['GET messages', api(t.server, '/api/sessions/cache/messages', { headers: auth })],
      ['GET messages 401', api(t.server, '/api/sessions/cache/messages')],
      ['GET search', api(t.server, '/api/sessions/cache/search?q=x', { headers: auth })],
      ['GET export', api(t.server, '/api/sessions/cache/export', { headers: auth })],
      ['PUT 405', api(t.server, '/api/sessions', { method: 'PUT' })],
      ['GET unknown', api(t.server, '/api/nothing-here')],
      ['GET /healthz', api(t.server, '/healthz')],
      ['GET /readyz', api(t.server, '/readyz')],
      ['GET /metrics', api(t.server, '/metrics')],
      ['GET foreign origin', api(t.server, '/api/sessions/cache/messages', { headers: { ...auth, origin: 'http://evil.example' } })],
    ];
    for (const [name, pending] of responses) {
      const res = await pending;
      await res.arrayBuffer();
      expect(res.headers.get('cache-control'), name).toBe('no-store');
    }
  });
});
