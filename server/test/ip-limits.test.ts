/**
 * Per-IP limits, seen from several client IPs: the server listens on
 * 127.0.0.1 and every address of 127.0.0.0/8 reaches it, so a test picks
 * its client's IP with `localAddress` (request-from.ts).
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { register, useTestServer, type TestServer } from './harness.js';
import { requestFrom } from './request-from.js';

/** An open WebSocket of `sessionId` from client IP `from`. */
async function openFrom(server: TestServer, from: string, sessionId: string, token: string): Promise<WebSocket> {
  const ws = new WebSocket(`${server.wsUrl}/ws/${sessionId}`, { localAddress: from, headers: { authorization: `Bearer ${token}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return ws;
}

const closed = (ws: WebSocket) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve())));

describe('open WebSockets per client IP (MAX_CONNECTIONS_PER_IP)', () => {
  const t = useTestServer({ maxConnectionsPerIp: 4, maxConnectionsPerSession: 8 });

  it('refuses a fifth socket from one IP with 429, across sessions; other IPs connect; closing frees a slot', async () => {
    const sessions = await Promise.all(['ip-a', 'ip-b', 'ip-c'].map((id) => register(t.server, id)));
    const open: WebSocket[] = [];
    try {
      // 4 sockets over 3 sessions from 127.0.0.2.
      for (const n of [0, 1, 2, 0]) open.push(await openFrom(t.server, '127.0.0.2', sessions[n]!.id, sessions[n]!.token));
      expect(open).toHaveLength(4);
      const [a, b] = sessions;
      const refused = await requestFrom('127.0.0.2', `${t.server.wsUrl}/ws/${b!.id}`, {
        upgrade: true,
        headers: { authorization: `Bearer ${b!.token}` },
      });
      expect(refused.status).toBe(429);
      expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'too_many_ip_connections' } });

      // Another client is not affected, on the same session.
      open.push(await openFrom(t.server, '127.0.0.3', a!.id, a!.token));

      open[0]!.close();
      await closed(open[0]!);
      open.push(await openFrom(t.server, '127.0.0.2', b!.id, b!.token));
    } finally {
      for (const ws of open) ws.terminate();
    }
  });
});

describe('inbound WebSocket bytes per client IP (WS_IP_BYTES_PER_SECOND)', () => {
  // 1 KB/s, burst 2 KB: one 60 KB message puts the IP a minute in debt.
  const t = useTestServer({ wsIpBytesPerSecond: 1000 });

  it('is shared by every connection of the IP: past it, each stops being read; another IP is not affected', async () => {
    const { token } = await register(t.server, 'bytes');
    const a = await openFrom(t.server, '127.0.0.5', 'bytes', token);
    const b = await openFrom(t.server, '127.0.0.5', 'bytes', token);
    const c = await openFrom(t.server, '127.0.0.6', 'bytes', token);
    const echo = (ws: WebSocket, text: string) =>
      new Promise<string>((resolve) => {
        ws.once('message', (data) => resolve(data.toString()));
        ws.send(text);
      });
    const throttled = () => t.server.diagnostics.connections('bytes').filter((conn) => conn.throttled).length;

    // What arrives is taken (and echoed), then the connection is not read from.
    expect(await echo(a, 'a'.repeat(60_000))).toBe(`bytes: ${'a'.repeat(60_000)}`);
    expect(throttled()).toBe(1);
    // The same IP's other connection shares the debt.
    expect(await echo(b, 'small')).toBe('bytes: small');
    expect(throttled()).toBe(2);
    // Another IP reads on.
    expect(await echo(c, 'other ip')).toBe('bytes: other ip');
    expect(throttled()).toBe(2);
    // Not read from: a closing handshake would wait for the debt; the test does not.
    for (const ws of [a, b, c]) ws.terminate();
    await Promise.all([a, b, c].map(closed));
  });
});

describe('failed authentications per client IP (AUTH_FAILURE_LIMIT)', () => {
  const t = useTestServer({ authFailureLimit: 3 });

  it('counts 401 and 404 on upgrades and HTTP alike; past the limit the IP gets 429 with Retry-After, even with the token', async () => {
    const { token } = await register(t.server, 'vault');
    const auth = { authorization: `Bearer ${token}` };
    const from = '127.0.0.4';
    // Three failures of three kinds: a wrong token on an upgrade, no token over HTTP, an unknown session.
    expect((await requestFrom(from, `${t.server.wsUrl}/ws/vault`, { upgrade: true, headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await requestFrom(from, `${t.server.httpUrl}/api/sessions/vault/messages`)).status).toBe(401);
    expect((await requestFrom(from, `${t.server.httpUrl}/api/sessions/probe-1/messages`, { headers: auth })).status).toBe(404);

    for (const [url, upgrade] of [
      [`${t.server.wsUrl}/ws/vault`, true],
      [`${t.server.httpUrl}/ws/vault`, true],
      [`${t.server.httpUrl}/api/sessions/vault/messages`, false],
      [`${t.server.httpUrl}/api/sessions/vault`, false],
    ] as const) {
      const answer = await requestFrom(from, url, { upgrade, headers: auth });
      expect(answer.status, url).toBe(429);
      expect(JSON.parse(answer.body), url).toMatchObject({ error: { code: 'too_many_auth_failures' } });
      expect(Number(answer.headers['retry-after']), url).toBeGreaterThanOrEqual(1);
      expect(Number(answer.headers['retry-after']), url).toBeLessThanOrEqual(60);
    }
    // Probes and static routes are not refused; neither is another IP, nor this one's successes before the limit.
    expect((await requestFrom(from, `${t.server.httpUrl}/healthz`)).status).toBe(200);
    expect((await requestFrom('127.0.0.5', `${t.server.httpUrl}/api/sessions/vault/messages`, { headers: auth })).status).toBe(200);
    expect((await requestFrom('127.0.0.5', `${t.server.wsUrl}/ws/vault`, { upgrade: true, headers: auth })).status).toBe(101);
  });

  it('a success does not reset the count, and IDs probed from one IP are throttled after the limit', async () => {
    const { token } = await register(t.server, 'own');
    const from = '127.0.0.6';
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      // A valid request in between must not clear the record of guesses.
      await requestFrom(from, `${t.server.httpUrl}/api/sessions/own`, { headers: { authorization: `Bearer ${token}` } });
      statuses.push((await requestFrom(from, `${t.server.httpUrl}/api/sessions/guess-${i}/messages`)).status);
    }
    expect(statuses).toEqual([404, 404, 404, 429, 429, 429]);
  });

  it('a rejoin (POST /api/sessions) with a wrong token counts as a failure and is refused past the limit', async () => {
    const { token } = await register(t.server, 'rejoin');
    const from = '127.0.0.7';
    const post = (id: string, headers: Record<string, string>) =>
      requestFrom(from, `${t.server.httpUrl}/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ id }),
      });
    // A taken ID without a token is a 409 that does not count (registration has its own limit).
    for (let i = 0; i < 4; i++) expect((await post('rejoin', {})).status).toBe(409);
    // With a wrong token (Bearer or cookie): 401, and failures.
    expect((await post('rejoin', { authorization: 'Bearer wrong-1' })).status).toBe(401);
    expect((await post('rejoin', { cookie: 'st_rejoin=wrong-2' })).status).toBe(401);
    expect((await post('rejoin', { authorization: 'Bearer wrong-3' })).status).toBe(401);
    // Past the limit: even the right token waits, and every authenticated route of this IP is refused.
    for (const answer of [
      await post('rejoin', { authorization: `Bearer ${token}` }),
      await requestFrom(from, `${t.server.httpUrl}/api/sessions/rejoin/messages`, { headers: { authorization: `Bearer ${token}` } }),
    ]) {
      expect([answer.status, JSON.parse(answer.body).error.code]).toEqual([429, 'too_many_auth_failures']);
    }
    // Another IP rejoins.
    const other = await requestFrom('127.0.0.8', `${t.server.httpUrl}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ id: 'rejoin' }),
    });
    expect(other.status).toBe(200);
  });
});

describe('attempts that wait for their IP\'s running ones (AUTH_FAILURE_LIMIT)', () => {
  const t = useTestServer({ authFailureLimit: 3 });

  it('lets at most ten times the limit (at least 64) wait; the others are refused at once, the waiting ones get through', async () => {
    const { token } = await register(t.server, 'queue');
    const from = '127.0.0.12';
    const auth = { authorization: `Bearer ${token}` };
    // Three settings changes whose bodies never finish hold the IP's three points while they run.
    const { port } = new URL(t.server.httpUrl);
    const slow = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<Socket>((resolve) => {
            const socket = connect({ host: '127.0.0.1', port: Number(port), localAddress: from }, () => {
              socket.write(`PATCH /api/sessions/queue HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{`);
              resolve(socket);
            });
          }),
      ),
    );
    const answered: number[] = [];
    let onAnswer: () => void = () => undefined;
    const requests = Array.from({ length: 100 }, () =>
      requestFrom(from, `${t.server.httpUrl}/api/sessions/queue/messages`, { headers: auth }).then((answer) => {
        answered.push(answer.status);
        onAnswer();
        return answer.status;
      }),
    );
    // 64 wait; the other 36 are refused while the three still hold their points.
    await new Promise<void>((resolve) => (onAnswer = () => answered.filter((s) => s === 429).length >= 36 && resolve()));
    expect(answered).toEqual(Array.from({ length: 36 }, () => 429));
    for (const socket of slow) socket.end('}');
    const statuses = await Promise.all(requests);
    expect(statuses.filter((s) => s === 200)).toHaveLength(64);
    expect(statuses.filter((s) => s === 429)).toHaveLength(36);
  });
});

describe('the throttle and the routes agree on every spelling of a path', () => {
  const t = useTestServer({ authFailureLimit: 3, metricsToken: 'metrics-secret' });

  it('serves a route in one spelling only (case, trailing slash): any other is 404, never a 401 the throttle did not count', async () => {
    const { token } = await register(t.server, 'spell');
    const from = '127.0.0.9';
    const auth = { authorization: `Bearer ${token}` };
    const others = [
      '/API/SESSIONS/spell/MESSAGES',
      '/api/sessions/spell/messages/',
      '/api/sessions/spell/Messages',
      '/api/sessions/spell/',
      '/Api/sessions/spell',
      '/api/sessions/spell/search/?q=a',
      '/api/sessions/spell/EXPORT',
      '/metrics/',
      '/METRICS',
      '/Metrics/',
      '/HEALTHZ',
      '/readyz/',
      '/STREAM?id=spelled',
    ];
    for (const path of others) {
      for (const headers of [auth, { authorization: 'Bearer wrong' }]) {
        const answer = await requestFrom(from, `${t.server.httpUrl}${path}`, { headers });
        expect(answer.status, path).toBe(404);
        expect(JSON.parse(answer.body), path).toMatchObject({ error: { code: 'not_found' } });
      }
    }
    // The one spelling of each: three failures (session and /metrics alike), then 429, so nothing was counted before.
    expect((await requestFrom(from, `${t.server.httpUrl}/api/sessions/spell/messages`)).status).toBe(401);
    expect((await requestFrom(from, `${t.server.httpUrl}/metrics`)).status).toBe(401);
    expect((await requestFrom(from, `${t.server.httpUrl}/api/sessions/spell`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    for (const path of ['/api/sessions/spell/messages', '/metrics', '/api/sessions/spell', '/api/sessions/spell/search?q=a']) {
      const headers = path === '/metrics' ? { authorization: 'Bearer metrics-secret' } : auth;
      expect((await requestFrom(from, `${t.server.httpUrl}${path}`, { headers })).status, path).toBe(429);
    }
    expect((await requestFrom(from, `${t.server.httpUrl}/healthz`)).status).toBe(200);
  });
});

describe('registrations per client IP (REGISTER_RATE_LIMIT, on rate-limiter-flexible)', () => {
  const t = useTestServer({ registerRateLimit: 2 });

  it('is per IP: one IP past its limit gets 429, another still registers', async () => {
    const post = (from: string, id: string) => requestFrom(from, `${t.server.httpUrl}/stream?id=${id}`);
    expect((await post('127.0.0.7', 'g1')).status).toBe(201);
    expect((await post('127.0.0.7', 'g2')).status).toBe(201);
    const refused = await post('127.0.0.7', 'g3');
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'too_many_registrations', message: expect.stringMatching(/^at most 2 registration attempts per minute/) } });
    expect((await post('127.0.0.8', 'g3')).status).toBe(201);
    // Attempts, not successes: a taken ID (409) counts.
    expect((await post('127.0.0.9', 'g1')).status).toBe(409);
    expect((await post('127.0.0.9', 'g1')).status).toBe(409);
    expect((await post('127.0.0.9', 'g9')).status).toBe(429);
  });
});
