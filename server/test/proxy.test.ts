import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../config.js';
import { expectApiError, postSession, register, startTestServer, tempDir, upgradeStatus, type TestServer } from './harness.js';
import { logCapture } from './log-capture.js';

/**
 * TRUST_PROXY: the client's IP and scheme behind a proxy, one rule for HTTP
 * (the per-IP registration limit reads it) and for upgrades (their log lines
 * show it, and per-IP limits on upgrades read the same function).
 */
let server: TestServer | undefined;
let folder: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await server?.close();
  folder?.remove();
  server = undefined;
});

async function start(overrides: Partial<Config>) {
  const log = logCapture();
  folder = tempDir();
  server = await startTestServer(folder.dir, { registerRateLimit: 2, logLevel: 'info', ...overrides }, log.stream);
  return { server, log };
}

/** Registers with this X-Forwarded-For and returns the status. */
const registerVia = async (s: TestServer, forwardedFor: string) => (await postSession(s, undefined, { 'x-forwarded-for': forwardedFor })).status;

/** The `ip` the log line of an accepted upgrade shows for this X-Forwarded-For. */
async function upgradeIp(s: TestServer, log: ReturnType<typeof logCapture>, forwardedFor: string): Promise<string> {
  const { id, token } = await register(s);
  await expect(upgradeStatus(`${s.wsUrl}/ws/${id}`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': forwardedFor } })).rejects.toThrow(
    'accepted',
  );
  const line = log.lines.map((l) => JSON.parse(l) as { msg: string; session?: string; ip?: string }).find((e) => e.msg === 'connected' && e.session === id);
  return line!.ip!;
}

describe('TRUST_PROXY off (the default)', () => {
  it('ignores X-Forwarded-For and X-Forwarded-Proto: a client cannot choose its IP or make its cookie Secure', async () => {
    const { server: s, log } = await start({});
    expect(await upgradeIp(s, log, '203.0.113.9')).toBe('127.0.0.1'); // registers once
    expect(await registerVia(s, '203.0.113.1')).toBe(201);
    expect(await registerVia(s, '203.0.113.2')).toBe(429); // all three are 127.0.0.1
  });

  it('does not mark the cookie Secure on plain HTTP, whatever X-Forwarded-Proto says', async () => {
    const { server: s } = await start({ registerRateLimit: 0 });
    const res = await postSession(s, undefined, { 'x-forwarded-proto': 'https' });
    expect(res.headers.getSetCookie()[0]).not.toMatch(/;\s*secure/i);
  });
});

describe('TRUST_PROXY=1 (one proxy in front)', () => {
  it('takes the address the proxy saw, the last X-Forwarded-For entry, on HTTP and on upgrades alike', async () => {
    const { server: s, log } = await start({ trustProxy: 1 });
    // What a client writes itself comes first and is ignored; the proxy appends what it saw.
    expect(await registerVia(s, 'spoofed, 203.0.113.7')).toBe(201);
    expect(await registerVia(s, 'other-spoof, 203.0.113.7')).toBe(201);
    expect(await registerVia(s, '203.0.113.7')).toBe(429);
    expect(await registerVia(s, '203.0.113.7, 203.0.113.8')).toBe(201); // another client
    expect(await upgradeIp(s, log, 'spoofed, 203.0.113.7')).toBe('203.0.113.7');
    expect(await upgradeIp(s, log, '198.51.100.4')).toBe('198.51.100.4');
  });

  it('marks the cookie Secure behind a TLS proxy, and allows the allowed hosts\' https origins', async () => {
    const { server: s } = await start({ trustProxy: 1, registerRateLimit: 0 });
    const tls = await postSession(s, undefined, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7', origin: 'https://localhost' });
    expect(tls.status).toBe(201);
    expect(tls.headers.getSetCookie()[0]).toMatch(/;\s*secure/i);
    const plain = await postSession(s, undefined, { 'x-forwarded-proto': 'http' });
    expect(plain.headers.getSetCookie()[0]).not.toMatch(/;\s*secure/i);
    await expectApiError(await postSession(s, undefined, { origin: 'https://attacker.test' }), 403, 'origin_not_allowed');
  });
});

describe('TRUST_PROXY=2 and true', () => {
  it('with two proxies, the second entry from the right', async () => {
    const { server: s, log } = await start({ trustProxy: 2 });
    expect(await upgradeIp(s, log, 'spoofed, 203.0.113.7, 10.0.0.2')).toBe('203.0.113.7');
  });

  it('with true, the leftmost entry (for a proxy that overwrites the header)', async () => {
    const { server: s, log } = await start({ trustProxy: true });
    expect(await upgradeIp(s, log, '203.0.113.7, 10.0.0.2, 10.0.0.3')).toBe('203.0.113.7');
    expect(await registerVia(s, '203.0.113.5, 10.0.0.2')).toBe(201);
    expect(await registerVia(s, '203.0.113.5, 10.0.0.3')).toBe(201);
    expect(await registerVia(s, '203.0.113.5')).toBe(429);
  });
});

describe('IPv6 clients are one client per /64 (per-IP limits)', () => {
  it('keys addresses of one /64 together, however they are written, and another /64 apart', async () => {
    const { server: s, log } = await start({ trustProxy: 1 });
    expect(await registerVia(s, '2001:db8:0:1::1')).toBe(201);
    expect(await registerVia(s, '2001:DB8:0:1:ffff:ffff:ffff:ffff')).toBe(201);
    expect(await registerVia(s, '2001:0db8:0000:0001:abcd::1.2.3.4')).toBe(429); // the same /64, a third time
    expect(await registerVia(s, '2001:db8:0:2::1')).toBe(201); // the next /64
    expect(await registerVia(s, '::ffff:203.0.113.7')).toBe(201); // IPv4, mapped
    expect(await registerVia(s, '203.0.113.7')).toBe(201);
    expect(await registerVia(s, '203.0.113.7')).toBe(429); // the mapped form counted for it
    expect(await upgradeIp(s, log, '2001:db8:0:3:1:2:3:4')).toBe('2001:db8:0:3::/64');
    expect(await upgradeIp(s, log, '::1')).toBe('::/64');
  });
});
