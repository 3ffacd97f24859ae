import { describe, expect, it } from 'vitest';
import { useTestServer } from '../../server/test/harness.js';
import { next, nodeClient, record, sharedTokens } from './helpers.js';

const t = useTestServer();

interface SentRequest {
  method: string;
  path: string;
  cookie: string | null;
  authorization: string | null;
}

/**
 * fetch with a cookie jar of one cookie per name: what a browser does with
 * Set-Cookie on one origin. `sent`: each request, with the credentials it carried.
 */
function cookieFetch(): typeof fetch & { jar: Map<string, string>; sent: SentRequest[] } {
  const jar = new Map<string, string>();
  const sent: SentRequest[] = [];
  const cookieFetch: typeof fetch = async (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    sent.push({ method: init.method ?? 'GET', path: new URL(String(input)).pathname, cookie: headers.get('cookie'), authorization: headers.get('authorization') });
    const response = await fetch(input, { ...init, headers });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    return response;
  };
  return Object.assign(cookieFetch, { jar, sent });
}

describe('invite and revoke', () => {
  it('invite() gives the token another device opens the session with; it joins and sees the messages', async () => {
    const owner = nodeClient(t.server.httpUrl);
    await owner.open('i-join');
    await owner.connect();
    await owner.send('before the invite');
    const token = await owner.invite();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const guest = nodeClient(t.server.httpUrl);
    const seen = record(guest, 'message');
    expect(await guest.open('i-join', { token })).toMatchObject({ created: false });
    await guest.connect({ after: 0 });
    expect(seen.map((m) => m.body)).toEqual(['before the invite']);
    await owner.send('after');
    await seen.until((all) => all.length === 2);
    expect(seen.map((m) => m.body)).toEqual(['before the invite', 'after']);
  });

  it('invite() in cookie mode asks the server with the cookie (the token is not kept by the client)', async () => {
    const fetch = cookieFetch();
    const tokenStore = sharedTokens();
    const owner = nodeClient(t.server.httpUrl, { auth: 'cookie', fetch, tokenStore });
    await owner.open('i-cookie');
    const cookie = fetch.jar.get('st_i-cookie');
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const before = fetch.sent.length;
    const token = await owner.invite();
    // One request, authorised by the cookie alone: no Bearer header, and nothing of the token kept by the client.
    expect(fetch.sent.slice(before)).toEqual([{ method: 'POST', path: '/api/sessions', cookie: `st_i-cookie=${cookie}`, authorization: null }]);
    expect(token).toBe(cookie);
    expect(tokenStore.get('i-cookie')).toBeNull();
    const guest = nodeClient(t.server.httpUrl);
    await guest.open('i-cookie', { token });
    expect(await guest.history()).toEqual({ messages: [], hasMore: false });
  });

  it('revoke(): the revoking client reconnects with the new token; the others end with token_revoked and cannot rejoin', async () => {
    const ownerTokens = sharedTokens();
    const owner = nodeClient(t.server.httpUrl, { tokenStore: ownerTokens, backoff: { minMs: 20, maxMs: 200 } });
    await owner.open('i-revoke');
    await owner.connect();
    const oldToken = await owner.invite();
    const guest = nodeClient(t.server.httpUrl, { backoff: { minMs: 20, maxMs: 200 } });
    await guest.open('i-revoke', { token: oldToken });
    await guest.connect();
    const ownerStates = record(owner, 'state');

    const guestClosed = next(guest, 'state', (s) => s.status === 'closed');
    await owner.revoke();
    expect(await guestClosed).toMatchObject({ status: 'closed', code: 'token_revoked' });
    await expect(guest.send('refused')).rejects.toMatchObject({ code: 'token_revoked' });
    expect(ownerTokens.get('i-revoke')).not.toBe(oldToken);

    // The owner's own socket was closed too, and came back with the new token.
    await ownerStates.until((all) => all.some((s) => s.status === 'reconnecting') && all.at(-1)?.status === 'open');
    expect(await owner.send('still mine')).toMatchObject({ body: 'still mine' });

    // The old token (an old invite link) no longer opens the session.
    const late = nodeClient(t.server.httpUrl);
    await expect(late.open('i-revoke', { token: oldToken })).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
  });
});
