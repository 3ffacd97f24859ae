import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RegisteredSession } from '../../protocol/wire.js';
import { api, expectApiError, history, postSession, register, upgradeStatus, useTestServer, type TestServer } from './harness.js';

function revoke(server: TestServer, sessionId: string, headers: Record<string, string>): Promise<Response> {
  return api(server, `/api/sessions/${sessionId}/token`, { method: 'POST', headers });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('POST /api/sessions/:id/token (revoke)', () => {
  const t = useTestServer();

  it('gives the session a new token: the old one is 401 everywhere, its sockets close with 4002, the new one works', async () => {
    const old = await register(t.server, 'keys');
    const json = await t.connect('keys', { token: old.token, json: true });
    const text = await t.connect('keys', { token: old.token });
    expect(await json.nextJson()).toMatchObject({ type: 'ready' });

    const res = await revoke(t.server, 'keys', bearer(old.token));
    expect(res.status).toBe(200);
    const renewed = (await res.json()) as RegisteredSession;
    expect(renewed).toEqual({ id: 'keys', token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), createdAt: old.createdAt });
    expect(renewed.token).not.toBe(old.token);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('st_keys='));
    expect(cookie).toContain(renewed.token);
    expect(cookie).toMatch(/httponly/i);
    expect(cookie).toMatch(/samesite=strict/i);

    for (const socket of [json, text]) {
      const closed = await socket.closed;
      expect(closed.code).toBe(4002);
      expect(closed.reason).toMatch(/^token_revoked: /);
    }
    // Stored hashed, as at registration.
    expect((await t.server.store.sessions.findById('keys'))!.tokenHash).toEqual(createHash('sha256').update(renewed.token).digest());

    // The old token: history, cookie, upgrade, rejoin (an old invite link) and another revoke all refuse it.
    await expectApiError(await api(t.server, '/api/sessions/keys/messages', { headers: bearer(old.token) }), 401, 'unauthorized');
    await expectApiError(await api(t.server, '/api/sessions/keys/messages', { headers: { cookie: `st_keys=${old.token}` } }), 401, 'unauthorized');
    expect(await upgradeStatus(`${t.server.wsUrl}/ws/keys`, { protocol: 'session.v1', headers: bearer(old.token) })).toBe(401);
    await expectApiError(await postSession(t.server, { id: 'keys' }, bearer(old.token)), 401, 'unauthorized');
    await expectApiError(await revoke(t.server, 'keys', bearer(old.token)), 401, 'unauthorized');

    // The new token: rejoin, history, a socket.
    expect((await postSession(t.server, { id: 'keys' }, bearer(renewed.token))).status).toBe(200);
    expect((await history(t.server, 'keys', renewed.token)).messages).toEqual([]);
    const fresh = await t.connect('keys', { token: renewed.token, json: true });
    expect(await fresh.nextJson()).toMatchObject({ type: 'ready', presence: 1 });
  });

  it('closes only the sockets of the revoked token: an old `revoked` event again leaves the new token\'s sockets open', async () => {
    const old = await register(t.server, 'stale');
    const first = (await (await revoke(t.server, 'stale', bearer(old.token))).json()) as RegisteredSession;
    const socket = await t.connect('stale', { token: first.token, json: true });
    expect(await socket.nextJson()).toMatchObject({ type: 'ready' });
    const { pk } = (await t.server.store.sessions.findById('stale'))!;
    // As a cross-node bus may deliver late: the event of the first revocation.
    t.server.bus.publish({ type: 'revoked', sessionPk: pk, sessionId: 'stale', tokenHash: createHash('sha256').update(old.token).digest('hex') });
    socket.send({ type: 'send', id: 'after', text: 'still here' });
    expect(await socket.nextJson()).toMatchObject({ type: 'echo', id: 'after' });
    // Not closing a turn later either: still open after another round trip.
    socket.send({ type: 'send', id: 'again', text: 'and here' });
    expect(await socket.nextJson()).toMatchObject({ type: 'echo', id: 'again' });
    expect(t.server.diagnostics.connections('stale')).toHaveLength(1);

    // The cookie presents the token as well as a Bearer header does.
    const second = await revoke(t.server, 'stale', { cookie: `st_stale=${first.token}` });
    expect(second.status).toBe(200);
    expect((await socket.closed).code).toBe(4002);
  });

  it('closes on arrival a socket authorised just before its token was revoked (the store read before the revocation committed)', async () => {
    const owner = await register(t.server, 'late');
    const { pk } = (await t.server.store.sessions.findById('late'))!;
    // The revocation's event, as another node publishes it after its commit; this node's next read is still the old row.
    t.server.bus.publish({ type: 'revoked', sessionPk: pk, sessionId: 'late', tokenHash: createHash('sha256').update(owner.token).digest('hex') });
    const socket = await t.connect('late', { token: owner.token, json: true });
    const closed = await socket.closed;
    expect(closed.code).toBe(4002);
    expect(closed.reason).toMatch(/^token_revoked: /);
  });

  it('refuses without the token (401) or for an unknown session (404); of two concurrent revocations one wins', async () => {
    const owner = await register(t.server, 'race');
    await expectApiError(await revoke(t.server, 'race', {}), 401, 'unauthorized');
    await expectApiError(await revoke(t.server, 'race', bearer('not-the-token')), 401, 'unauthorized');
    await expectApiError(await revoke(t.server, 'nobody', bearer(owner.token)), 404, 'session_not_found');
    await expectApiError(await api(t.server, '/api/sessions/race/token', { method: 'GET', headers: bearer(owner.token) }), 405);

    const answers = await Promise.all([revoke(t.server, 'race', bearer(owner.token)), revoke(t.server, 'race', bearer(owner.token))]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
    const winner = (await answers.find((r) => r.status === 200)!.json()) as RegisteredSession;
    expect((await history(t.server, 'race', winner.token)).messages).toEqual([]);
  });
});
