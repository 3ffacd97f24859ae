import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allowedHostsFor } from '../host-policy.js';
import { expectApiError, postSession, register, upgradeStatus, useTestServer, wsBase } from './harness.js';
import { errorCode, rawRequest, requestHead } from '../../scripts/abuse/raw-http.js';

const wsHandshake = ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13'];

describe('ALLOWED_HOSTS: a DNS-rebinding page is answered 421', () => {
  const t = useTestServer();

  it('refuses a foreign Host on every route and on upgrades on both ports, even with its own Origin', async () => {
    const { token } = await register(t.server, 'rebind');
    const host = `attacker.test:${t.server.httpPort}`;
    const headers = [`Origin: http://${host}`, `Authorization: Bearer ${token}`];
    for (const line of ['GET /api/sessions/rebind/messages HTTP/1.1', 'GET /stream?id=rebind-new HTTP/1.1', 'GET /healthz HTTP/1.1', 'GET / HTTP/1.1']) {
      const res = await rawRequest(t.server.httpPort, requestHead(line, headers, host));
      expect([res.status, errorCode(res)], line).toEqual([421, 'host_not_allowed']);
    }
    for (const port of [t.server.httpPort, t.server.wsPort]) {
      const res = await rawRequest(port, requestHead('GET /ws/rebind HTTP/1.1', [...wsHandshake, ...headers], host));
      expect([res.status, errorCode(res)]).toEqual([421, 'host_not_allowed']);
    }
    expect(await t.server.store.sessions.findById('rebind-new')).toBeUndefined();
  });

  it('answers the loopback names, however a client writes them, and ignores the port', async () => {
    for (const host of ['localhost', 'LocalHost:1', '127.0.0.1:8080', '127.1', '[::1]:80', '[0:0:0:0:0:0:0:1]']) {
      const res = await rawRequest(t.server.httpPort, requestHead('GET /healthz HTTP/1.1', [], host));
      expect(res.status, host).toBe(200);
    }
    for (const host of ['localhost.', 'localhost.attacker.test', '127.0.0.2', '10.0.0.1']) {
      const res = await rawRequest(t.server.httpPort, requestHead('GET /healthz HTTP/1.1', [], host));
      expect(res.status, host).toBe(421);
    }
  });

  it('builds the CSP from configuration only: no request text in it, the same for every request', async () => {
    const csps = new Set<string>();
    for (const host of ['127.0.0.1', 'localhost', 'attacker.test', 'evil.test:1', 'a b', '"quoted"']) {
      const res = await rawRequest(t.server.httpPort, requestHead('GET /healthz HTTP/1.1', [], host));
      csps.add(res.headers['content-security-policy']!);
    }
    expect(csps.size).toBe(1);
    const [csp] = [...csps];
    expect(csp).not.toMatch(/attacker|evil|quoted|a b/);
    expect(csp).toContain(`ws://localhost:${t.server.wsPort} wss://localhost:${t.server.wsPort}`);
    expect(csp).toContain(`ws://127.0.0.1:${t.server.wsPort}`);
  });

  it('derives the default Origin allowlist from the allowed hosts, never from the request\'s Host', async () => {
    const foreignOrigin = { origin: `http://attacker.test:${t.server.httpPort}` };
    const { id, token } = await register(t.server);
    for (const port of ['ws', 'http'] as const) {
      const url = `${wsBase(t.server, port)}/ws/${id}`;
      expect(await upgradeStatus(url, { headers: { ...foreignOrigin, authorization: `Bearer ${token}` } })).toBe(403);
    }
    await expectApiError(await postSession(t.server, { id: 'o-foreign' }, foreignOrigin), 403, 'origin_not_allowed');
    const own = await postSession(t.server, { id: 'o-own' }, { origin: `http://localhost:${t.server.httpPort}` });
    expect(own.status).toBe(201);
  });

  it('by default, HOST is allowed when it names one host; a wildcard adds nothing', () => {
    expect(allowedHostsFor([], '0.0.0.0')).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(allowedHostsFor([], '::')).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(allowedHostsFor([], 'Chat.Internal')).toContain('chat.internal');
    expect(allowedHostsFor([], '192.168.1.5')).toContain('192.168.1.5');
    expect(allowedHostsFor([], 'fe80::1')).toContain('[fe80::1]');
    expect(allowedHostsFor(['chat.example.com'], 'chat.internal')).toEqual(['localhost', '127.0.0.1', '[::1]', 'chat.example.com']);
  });
});

describe('ALLOWED_HOSTS set', () => {
  const t = useTestServer({ allowedHosts: ['chat.example.com'] });

  it('answers the listed host and its origin on HTTP_PORT, and nothing else', async () => {
    const { token } = await register(t.server, 'listed');
    const ok = await rawRequest(
      t.server.httpPort,
      requestHead('GET /api/sessions/listed/messages HTTP/1.1', [`Authorization: Bearer ${token}`, `Origin: http://chat.example.com:${t.server.httpPort}`], 'chat.example.com:8080'),
    );
    expect(ok.status).toBe(200);
    const other = await rawRequest(t.server.httpPort, requestHead('GET /healthz HTTP/1.1', [], 'example.com'));
    expect(other.status).toBe(421);
    expect(await upgradeStatus(`${t.server.wsUrl}/ws/listed`, { headers: { origin: 'http://chat.example.com', authorization: `Bearer ${token}` } })).toBe(403);
  });
});

describe('dev origins (DEV_ORIGINS, VITE_PORT)', () => {
  describe('off, as under npm start', () => {
    const t = useTestServer();
    it.each(['ws', 'http'] as const)('refuses the Vite dev server\'s origin (%s port upgrade, and POST)', async (port) => {
      const { token } = await register(t.server, `dev-off-${port}`);
      for (const origin of ['http://localhost:5173', 'http://127.0.0.1:5173']) {
        const url = `${wsBase(t.server, port)}/ws/dev-off-${port}`;
        expect(await upgradeStatus(url, { headers: { origin, authorization: `Bearer ${token}` } }), origin).toBe(403);
        await expectApiError(await postSession(t.server, { id: 'x' }, { origin }), 403, 'origin_not_allowed');
      }
    });
  });

  describe('on, with the configured Vite port', () => {
    const t = useTestServer({ devOrigins: true, vitePort: 5199 });
    it('accepts the Vite dev server\'s origin on VITE_PORT, not on another port', async () => {
      const { token } = await register(t.server, 'dev-on');
      const url = `${t.server.wsUrl}/ws/dev-on`;
      const auth = { authorization: `Bearer ${token}` };
      await expect(upgradeStatus(url, { headers: { origin: 'http://localhost:5199', ...auth } })).rejects.toThrow('accepted');
      expect(await upgradeStatus(url, { headers: { origin: 'http://localhost:5173', ...auth } })).toBe(403);
      expect((await postSession(t.server, { id: 'dev-post' }, { origin: 'http://127.0.0.1:5199' })).status).toBe(201);
    });
  });

  it('npm run dev turns them on; npm start does not', () => {
    const { scripts } = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts['dev:server']).toMatch(/\bDEV_ORIGINS=true\b/);
    expect(scripts.start).not.toMatch(/DEV_ORIGINS/);
    // npm run dev starts dev:server (through scripts/dev.mjs); e2e/dev.spec.ts runs it end to end.
    expect(readFileSync(resolve(import.meta.dirname, '../../scripts/dev.mjs'), 'utf8')).toContain("'npm:dev:server'");
  });
});
