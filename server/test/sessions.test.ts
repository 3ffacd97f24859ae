import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RegisteredSession } from '../../protocol/wire.js';
import { api, expectApiError, history, postSession, register, useTestServer } from './harness.js';
import { withDb } from './sqlite-fixture.js';

const GENERATED_ID = /^[A-Za-z0-9_-]{1,64}$/;
const INVALID_IDS: unknown[] = ['', 'a b', 'é', 'x'.repeat(65), '../x', 123];

/** The Set-Cookie line of a session's token cookie. */
function tokenCookie(res: Response, sessionId: string): string {
  const line = res.headers.getSetCookie().find((c) => c.startsWith(`st_${sessionId}=`));
  if (!line) throw new Error(`no st_${sessionId} cookie in ${JSON.stringify(res.headers.getSetCookie())}`);
  return line;
}

describe('POST /api/sessions', () => {
  const t = useTestServer();

  it('creates a session: 201 {id, token, createdAt} and an HttpOnly SameSite=Strict token cookie', async () => {
    const before = Date.now();
    const res = await postSession(t.server, { id: '0101' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as RegisteredSession;
    expect(Object.keys(body).sort()).toEqual(['createdAt', 'id', 'token']);
    expect(body.id).toBe('0101');
    expect(new Date(body.createdAt).toISOString()).toBe(body.createdAt);
    expect(Date.parse(body.createdAt)).toBeGreaterThanOrEqual(before - 1000);

    // >= 128 random bits, base64url.
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(Buffer.from(body.token, 'base64url').length).toBeGreaterThanOrEqual(16);

    const cookie = tokenCookie(res, '0101');
    expect(cookie.split(';')[0]).toBe(`st_0101=${body.token}`);
    expect(cookie).toMatch(/;\s*httponly/i);
    expect(cookie).toMatch(/;\s*samesite=strict/i);
  });

  it('stores only a sha256 hash of the token, never the token', async () => {
    const { token } = await register(t.server, '0101');
    const rows = withDb(t.server.config.dbPath, (db) => db.prepare('SELECT * FROM sessions WHERE id = ?').all('0101')) as Array<
      Record<string, unknown>
    >;
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(Buffer.isBuffer(row.token_hash)).toBe(true);
    expect((row.token_hash as Buffer).length).toBe(32);
    expect((row.token_hash as Buffer).equals(createHash('sha256').update(token).digest())).toBe(true);
    for (const value of Object.values(row)) {
      expect(String(value)).not.toContain(token);
      if (Buffer.isBuffer(value)) expect(value.includes(token)).toBe(false);
    }
    // Nor anywhere in the database files.
    for (const file of ['app.db', 'app.db-wal']) {
      const path = join(t.dir, file);
      if (existsSync(path)) expect(readFileSync(path).includes(token)).toBe(false);
    }
  });

  it('re-registering an existing ID is 200 for the token holder (Bearer or cookie), 401 for a wrong token, 409 for anyone else', async () => {
    const first = await register(t.server, '0101');

    const byBearer = await postSession(t.server, { id: '0101' }, { authorization: `Bearer ${first.token}` });
    expect(byBearer.status).toBe(200);
    expect(await byBearer.json()).toEqual(first);

    const byCookie = await postSession(t.server, { id: '0101' }, { cookie: `st_0101=${first.token}` });
    expect(byCookie.status).toBe(200);
    expect(((await byCookie.json()) as RegisteredSession).token).toBe(first.token);

    await expectApiError(await postSession(t.server, { id: '0101' }), 409, 'session_exists');
    // A token that is not the session's (a revoked invite link or cookie) is a failed authentication, not a taken name.
    await expectApiError(await postSession(t.server, { id: '0101' }, { authorization: 'Bearer not-the-token' }), 401, 'unauthorized');
    await expectApiError(await postSession(t.server, { id: '0101' }, { cookie: 'st_0101=not-the-token' }), 401, 'unauthorized');
    // The original token still works: nobody took the session over.
    expect((await history(t.server, '0101', first.token)).messages).toEqual([]);
  });

  it.each([
    ['an empty body', undefined],
    ['{}', {}],
  ])('generates an ID when none is given (%s)', async (_label, body) => {
    const res = await postSession(t.server, body);
    expect(res.status).toBe(201);
    const created = (await res.json()) as RegisteredSession;
    expect(created.id).toMatch(GENERATED_ID);
    expect(tokenCookie(res, created.id)).toContain(created.token);
    expect((await history(t.server, created.id, created.token)).messages).toEqual([]);
  });

  it('gives every generated session its own ID', async () => {
    const a = await register(t.server);
    const b = await register(t.server);
    expect(a.id).not.toBe(b.id);
  });

  it.each(INVALID_IDS.map((id) => [JSON.stringify(id), id]))('refuses the invalid ID %s with 400 naming the rule', async (_label, id) => {
    const error = await expectApiError(await postSession(t.server, { id }), 400, 'invalid_session_id');
    expect(error.message).toContain('1 to 64');
  });

  it('accepts a 64-character ID', async () => {
    const id = 'a'.repeat(64);
    const res = await postSession(t.server, { id });
    expect(res.status).toBe(201);
    expect(((await res.json()) as RegisteredSession).id).toBe(id);
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await api(t.server, '/api/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"id": "0101"',
    });
    await expectApiError(res, 400, 'invalid_json');
  });

  it('answers a non-JSON content type with 415', async () => {
    const res = await api(t.server, '/api/sessions', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"id":"0101"}',
    });
    await expectApiError(res, 415);
    expect(await t.server.store.sessions.findById('0101')).toBeUndefined();
  });

  it('answers a body over 16 KiB with 413', async () => {
    await expectApiError(await postSession(t.server, { id: '0101', pad: 'x'.repeat(16 * 1024) }), 413);
    expect(await t.server.store.sessions.findById('0101')).toBeUndefined();
  });
});

describe('GET /stream?id= (legacy registration)', () => {
  const t = useTestServer();

  it('registers a new ID like POST: 201 with token and cookie', async () => {
    const res = await api(t.server, '/stream?id=legacy-1');
    expect(res.status).toBe(201);
    const body = (await res.json()) as RegisteredSession;
    expect(body.id).toBe('legacy-1');
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(tokenCookie(res, 'legacy-1')).toMatch(/;\s*httponly/i);
    expect((await history(t.server, 'legacy-1', body.token)).messages).toEqual([]);
  });

  it('never rejoins, and never sets a cookie, for an ID that exists: a link cannot fix a session on a victim', async () => {
    // The attacker registers the ID, then sends the victim a link carrying the attacker's token.
    const attacker = await register(t.server, 'board');
    const links = [
      `/stream?id=board&token=${attacker.token}`,
      `/stream?id=board&%74oken=${attacker.token}`,
      `/stream?token=${attacker.token}&id=board`,
      '/stream?id=board',
    ];
    for (const link of links) {
      const res = await api(t.server, link);
      const error = await expectApiError(res, 409, 'session_exists');
      // It says what to do instead: a token does not help on this path.
      expect(error.message, link).toMatch(/GET \/stream only creates new sessions: choose another ID; .*\/ws\/board .*POST \/api\/sessions/);
      expect(res.headers.getSetCookie(), link).toEqual([]);
    }
    // Presenting the token in a header or the cookie changes nothing on a GET either.
    for (const headers of [{ authorization: `Bearer ${attacker.token}` }, { cookie: `st_board=${attacker.token}` }] as Array<Record<string, string>>) {
      const res = await api(t.server, '/stream?id=board', { headers });
      await expectApiError(res, 409, 'session_exists');
      expect(res.headers.getSetCookie()).toEqual([]);
    }
  });

  it('a POST rejoins with the token as Bearer or cookie only, never from the URL', async () => {
    const owner = await register(t.server, 'post-rejoin');
    const viaQuery = await api(t.server, `/api/sessions?token=${owner.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'post-rejoin' }),
    });
    await expectApiError(viaQuery, 409, 'session_exists');
    expect(viaQuery.headers.getSetCookie()).toEqual([]);
    const viaBearer = await postSession(t.server, { id: 'post-rejoin' }, { authorization: `Bearer ${owner.token}` });
    expect(viaBearer.status).toBe(200);
  });

  it('HEAD changes nothing: 405 naming GET, and the ID stays free', async () => {
    const head = await api(t.server, '/stream?id=head-only', { method: 'HEAD' });
    expect(head.status).toBe(405);
    expect(head.headers.get('allow')).toBe('GET, OPTIONS');
    expect(await t.server.store.sessions.findById('head-only')).toBeUndefined();
    expect((await api(t.server, '/stream?id=head-only')).status).toBe(201);
  });

  it.each(['', 'a b', 'é', 'x'.repeat(65), '../x'])('refuses the invalid ID %j with 400 naming the rule', async (id) => {
    const res = await api(t.server, `/stream?id=${encodeURIComponent(id)}`);
    const error = await expectApiError(res, 400, 'invalid_session_id');
    expect(error.message).toContain('1 to 64');
  });

  it('generates an ID when none is given', async () => {
    const res = await api(t.server, '/stream');
    expect(res.status).toBe(201);
    expect(((await res.json()) as RegisteredSession).id).toMatch(GENERATED_ID);
  });
});

describe('other routes', () => {
  const t = useTestServer();

  it('GET /healthz answers {status:"ok"}', async () => {
    const res = await api(t.server, '/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers an unknown route with a 404 JSON error', async () => {
    await expectApiError(await api(t.server, '/api/nope'), 404);
    await expectApiError(await api(t.server, '/nope', { method: 'POST' }), 404);
  });
});

describe('DELETE /api/sessions/:id', () => {
  const t = useTestServer();

  it('needs the token: 401 without it, and the session survives', async () => {
    const s = await register(t.server, 'del-1');
    await expectApiError(await api(t.server, '/api/sessions/del-1', { method: 'DELETE' }), 401);
    await expectApiError(
      await api(t.server, '/api/sessions/del-1', { method: 'DELETE', headers: { authorization: 'Bearer wrong' } }),
      401,
    );
    expect((await history(t.server, 'del-1', s.token)).messages).toEqual([]);
  });

  it('with the token: 204, history gone (404), open sockets closed with 4001', async () => {
    const s = await register(t.server, 'del-1');
    const client = await t.connect('del-1', { token: s.token });
    client.send('before delete');
    expect(await client.next()).toBe('del-1: before delete');

    const res = await api(t.server, '/api/sessions/del-1', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${s.token}` },
    });
    expect(res.status).toBe(204);
    expect((await client.closed).code).toBe(4001);

    const gone = await api(t.server, '/api/sessions/del-1/messages', { headers: { authorization: `Bearer ${s.token}` } });
    await expectApiError(gone, 404);
    expect(withDb(t.server.config.dbPath, (db) => db.prepare('SELECT count(*) FROM messages').pluck().get())).toBe(0);
  });
});
