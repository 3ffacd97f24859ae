import { describe, expect, it } from 'vitest';
import { SUBPROTOCOL } from '../../protocol/wire.js';
import { api, expectApiError, register, upgradeStatus, useTestServer, wsBase } from './harness.js';

/** Origins that only look like an allowed one: no prefix, suffix or substring match may pass. */
const lookalikes = (allowed: string) => [
  `${allowed}.evil.com`,
  `${allowed}0`,
  `${allowed}/`,
  `http://evil.com/${allowed}`,
  `http://evil.${allowed.replace(/^https?:\/\//, '')}`,
  allowed.startsWith('https://') ? allowed.replace('https://', 'http://') : allowed.replace('http://', 'https://'),
  allowed.toUpperCase(),
  'null',
  'http://evil.com',
];

describe('default policy: the app\'s own origins', () => {
  const t = useTestServer();

  it.each(['ws', 'http'] as const)('accepts the app\'s own origins and refuses others with 403 on the %s port', async (port) => {
    const { token } = await register(t.server, 'o1');
    const url = `${wsBase(t.server, port)}/ws/o1`;
    const own = [
      `http://127.0.0.1:${t.server.httpPort}`,
      `http://localhost:${t.server.httpPort}`,
      `http://[::1]:${t.server.httpPort}`,
    ];
    for (const origin of own) {
      await expect(upgradeStatus(url, { headers: { origin, authorization: `Bearer ${token}` } }), origin).rejects.toThrow('accepted');
    }
    for (const origin of lookalikes(`http://127.0.0.1:${t.server.httpPort}`)) {
      expect(await upgradeStatus(url, { headers: { origin, authorization: `Bearer ${token}` } }), origin).toBe(403);
    }
  });

  it('still needs the token when there is no Origin (non-browser clients)', async () => {
    await register(t.server, 'o2');
    expect(await upgradeStatus(`${t.server.wsUrl}/ws/o2`, { protocol: SUBPROTOCOL })).toBe(401);
  });

  it('refuses state-changing HTTP requests from a foreign origin, allows them without Origin', async () => {
    const foreign = await api(t.server, '/api/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.com' },
      body: JSON.stringify({ id: 'csrf' }),
    });
    await expectApiError(foreign, 403, 'origin_not_allowed');
    expect(await t.server.store.sessions.findById('csrf')).toBeUndefined();

    const own = await api(t.server, '/api/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${t.server.httpPort}` },
      body: JSON.stringify({ id: 'csrf' }),
    });
    expect(own.status).toBe(201);
  });
});

describe('ALLOWED_ORIGINS: exact matches only', () => {
  const allowed = 'https://chat.example.com';
  const t = useTestServer({ allowedOrigins: [allowed] });

  it('accepts exactly the listed origin and nothing that merely resembles it', async () => {
    const { token } = await register(t.server, 'o3');
    const url = `${t.server.wsUrl}/ws/o3`;
    const auth = { authorization: `Bearer ${token}` };
    await expect(upgradeStatus(url, { headers: { origin: allowed, ...auth } })).rejects.toThrow('accepted');
    for (const origin of lookalikes(allowed)) {
      expect(await upgradeStatus(url, { headers: { origin, ...auth } }), origin).toBe(403);
    }
  });

  it('adds to the app\'s own origins: the bundled app keeps working', async () => {
    const { token } = await register(t.server, 'o4');
    const auth = { authorization: `Bearer ${token}` };
    for (const origin of [`http://127.0.0.1:${t.server.httpPort}`, `http://localhost:${t.server.httpPort}`]) {
      await expect(upgradeStatus(`${t.server.wsUrl}/ws/o4`, { headers: { origin, ...auth } }), origin).rejects.toThrow('accepted');
      const res = await fetch(`${t.server.httpUrl}/api/sessions`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ id: 'o4' }),
      });
      expect(res.status, origin).toBe(200);
    }
    expect(await upgradeStatus(`${t.server.wsUrl}/ws/o4`, { headers: { origin: 'http://127.0.0.1:5173', ...auth } })).toBe(403);
  });
});
