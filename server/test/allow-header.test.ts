import { expect, it } from 'vitest';
import { rawRequest, requestHead, type RawResponse } from '../../scripts/abuse/raw-http.js';
import { register, useTestServer } from './harness.js';

/**
 * RFC 9110 §15.5.6: a 405 carries `Allow`, the methods the target resource
 * supports. Over every 405 the app gives (every route's path, the static
 * files, the WebSocket endpoint on both ports, CONNECT on both ports): each
 * method it lists is served there, each method refused with 405 is not
 * listed, each method served is listed, and OPTIONS lists the same.
 */
const t = useTestServer({}, 'all');

/** The router's methods, two it does not know, and the ones a 405 must never list by mistake. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'MKCOL', 'TRACE'];
/** Answers that say the method is not served at the path (the WebSocket port answers anything but an upgrade with 426). */
const NOT_SERVED = new Set([404, 405, 426, 501]);
const UPGRADE = ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13'];

const ask = (port: number, method: string, target: string, headers: string[] = []): Promise<RawResponse> =>
  rawRequest(port, requestHead(`${method} ${target} HTTP/1.1`, headers));
const methodsOf = (allow: string | undefined) => (allow ?? '').split(',').map((m) => m.trim()).filter(Boolean).sort();

/** Asks `target` with every method; checks the Allow of its 405s (and of OPTIONS's 204) against what was served. */
async function checkAllow(port: number, target: string, headers: string[] = []): Promise<string[] | null> {
  const answers = new Map<string, RawResponse>();
  for (const method of METHODS) answers.set(method, await ask(port, method, target, headers));
  const refused = [...answers].filter(([, res]) => res.status === 405);
  const listed = [...answers].filter(([method, res]) => res.status === 405 || (method === 'OPTIONS' && res.status === 204));
  if (listed.length === 0) return null;
  const allow = methodsOf(listed[0]![1].headers.allow);
  const where = `${target} on ${port === t.server.httpPort ? 'the HTTP port' : 'the WebSocket port'}${headers.length > 0 ? ' (upgrade)' : ''}`;
  for (const [method, res] of listed) expect(methodsOf(res.headers.allow), `${method} ${where}: one Allow for the path`).toEqual(allow);
  expect(allow.length, where).toBeGreaterThan(0);
  for (const [method] of refused) expect(allow, `${method} ${where} is 405, so not allowed`).not.toContain(method);
  for (const [method, res] of answers) {
    const served = !NOT_SERVED.has(res.status);
    if (served) expect(allow, `${method} ${where} answered ${res.status}, so it is allowed`).toContain(method);
    // A method listed that the path does not serve would be a lie, whatever the status says instead.
    if (allow.includes(method)) expect(res.status, `${method} ${where} is listed in Allow`).not.toBe(405);
  }
  return allow;
}

it("every 405's Allow lists what its path serves, and only that: every route, the static files, /ws/{ID} on both ports", async () => {
  const { id } = await register(t.server, 'allow');
  const paths = [...new Set(t.server.httpRoutes().map((r) => r.path.replace(/:[A-Za-z]+/g, id)))];
  expect(paths).toContain('/stream');
  const allows = new Map<string, string[] | null>();
  for (const path of [...paths, '/', '/no/such/path', `/s/${id}`]) allows.set(path, await checkAllow(t.server.httpPort, path));
  // Every API path gives 405s; /stream takes GET, not HEAD (a HEAD must not register: 405 too).
  for (const path of paths) expect(allows.get(path), path).not.toBeNull();
  expect(allows.get('/stream')).toEqual(['GET', 'OPTIONS']);
  expect(allows.get('/')).toEqual(['GET', 'HEAD']);

  // The WebSocket endpoint takes an upgrading GET, on either port; another path is no WebSocket endpoint (404, no Allow).
  for (const port of [t.server.httpPort, t.server.wsPort]) {
    expect(await checkAllow(port, `/ws/${id}`, UPGRADE)).toEqual(['GET']);
    expect(await checkAllow(port, '/api/sessions', UPGRADE)).toBeNull();
  }
});

it("CONNECT's 405 names what each port serves", async () => {
  const connect = (port: number) => rawRequest(port, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n');
  const { id } = await register(t.server, 'allow-connect');

  const http = await connect(t.server.httpPort);
  expect([http.status, methodsOf(http.headers.allow)]).toEqual([405, ['GET', 'HEAD']]);
  for (const method of ['GET', 'HEAD']) expect((await ask(t.server.httpPort, method, '/')).status).not.toBe(405);

  const ws = await connect(t.server.wsPort);
  expect([ws.status, methodsOf(ws.headers.allow)]).toEqual([405, ['GET']]);
  // The WebSocket port serves GET only as an upgrade; HEAD there is 426 like any request that is not one.
  expect((await ask(t.server.wsPort, 'GET', `/ws/${id}`, UPGRADE)).status).toBe(401);
  expect((await ask(t.server.wsPort, 'HEAD', `/ws/${id}`)).status).toBe(426);
});
