import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register, startTestServer, tempDir, type TestServer } from './harness.js';
import { logCapture } from './log-capture.js';
import { rawRequest } from '../../scripts/abuse/raw-http.js';

/**
 * Property: whatever a client puts in the method, path, query string and
 * headers of an HTTP request (to either port, upgrade offers included), the
 * answer is a status below 500 and the server stays up, with nothing logged
 * as a server fault. One server for all runs, as in production.
 */
let server: TestServer;
let folder: ReturnType<typeof tempDir>;
let token: string;
const log = logCapture();

beforeAll(async () => {
  folder = tempDir();
  server = await startTestServer(folder.dir, { logLevel: 'info' }, log.stream);
  ({ token } = await register(server, 'fz'));
});
afterAll(async () => {
  await server.close();
  folder.remove();
});

/** Stands for the session's token in generated requests (known only once the server runs). */
const TOKEN = '$TOKEN';

/** Every byte as %XX: how a client smuggles anything into a URL. */
const percent = (text: string) => [...Buffer.from(text)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** Text for a URL part: plain, percent-encoded (any Unicode), or broken escapes. */
const urlText = (unit: 'grapheme-ascii' | 'grapheme') =>
  fc.oneof(
    fc.string({ unit: 'grapheme-ascii', maxLength: 12 }).map((s) => s.replace(/[\s#?&=]/g, '')),
    fc.string({ unit, maxLength: 12 }).map(percent),
    fc.string({ unit: 'binary', maxLength: 6 }).map((s) => encodeURIComponent(s.toWellFormed())),
    fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '%2F', '%2e%2e', '..', '.', '*', ';x=1', '%FF%FE', '\\', '@', ':'),
  );

const sessionSegment = fc.oneof(fc.constant('fz'), fc.constant('no-such'), urlText('grapheme'), fc.constant(TOKEN));
const path = fc.oneof(
  sessionSegment.map((id) => `/api/sessions/${id}`),
  fc.tuple(sessionSegment, fc.constantFrom('messages', 'search', 'export', 'x', '')).map(([id, sub]) => `/api/sessions/${id}/${sub}`),
  sessionSegment.map((id) => `/ws/${id}`),
  fc.constantFrom('/stream', '/api/sessions', '/healthz', '/readyz', '/metrics', '/', '/index.html', '/assets/x.js.map', '//', '/api'),
  fc.array(urlText('grapheme'), { maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
  fc.constantFrom('*', 'http://a%20b/api/sessions/fz/messages', 'http://[::1/healthz', 'localhost:80', 'https://localhost/stream'),
);

const paramName = fc.oneof(
  fc.constantFrom('token', 'TOKEN', '%74oken', 'id', 'before', 'limit', 'offset', 'format', 'after', 'q', 'access_token', ''),
  urlText('grapheme-ascii'),
);
const paramValue = fc.oneof(
  fc.constant(TOKEN),
  fc.constantFrom('fz', '0', '-1', '1', '500', '501', '4294967296', '1e400', 'NaN', '0x10', 'csv', 'ndjson', 'xml', ''),
  urlText('grapheme'),
);
const query = fc
  .array(fc.tuple(paramName, paramValue), { maxLength: 5 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([n, v]) => `${n}=${v}`).join('&')}`));

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const headerValue = fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 24 }).map((s) => s.replace(/[\r\n]/g, '')), fc.constant(''));
const headers = fc.record({
  host: fc.oneof(
    fc.constantFrom('127.0.0.1', 'localhost:8080', '[::1]', 'attacker.test', 'a b', 'localhost:99999', '[::1', 'x@y', ''),
    headerValue,
  ),
  authorization: optional(fc.oneof(fc.constant(`Bearer ${TOKEN}`), fc.constant('Bearer'), headerValue)),
  cookie: optional(fc.oneof(fc.constant(`st_fz=${TOKEN}`), fc.constant('st_fz=%zz; ;='), headerValue)),
  origin: optional(fc.constantFrom('http://127.0.0.1', 'http://evil.example', 'null', 'http://localhost:5173', '%')),
  contentType: optional(fc.constantFrom('application/json', 'application/json; charset=bogus', 'text/plain', 'application/json; charset=utf-16', ';;')),
  contentEncoding: optional(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'gzip, gzip', 'GZIP')),
  upgrade: optional(fc.constantFrom('h2c', 'websocket', 'WebSocket', 'websocket, h2c', 'TLS/1.2', '')),
  // Never a valid key: an accepted upgrade would hold the socket open.
  wsKey: optional(fc.constantFrom('abc', 'dGhlIHNhbXBsZSBub25jZQ=', '!!!!!!!!!!!!!!!!!!!!!!==')),
  wsVersion: optional(fc.constantFrom('13', '8', '99', '')),
  wsProtocol: optional(fc.constantFrom('session.v1', 'session.v1,,', 'a b', 'x, x', '')),
  forwardedFor: optional(fc.oneof(fc.constant('203.0.113.7, 10.0.0.1'), headerValue)),
  forwardedProto: optional(fc.constantFrom('https', 'http', 'gopher', '')),
});
const body = optional(fc.oneof(fc.json({ maxDepth: 3 }), fc.string({ unit: 'binary', maxLength: 64 })));

const request = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'TRACE', 'SEARCH', 'MKCOL', 'PURGE'),
  target: fc.tuple(path, query).map(([p, q]) => p + q),
  headers,
  body,
  port: fc.constantFrom('http', 'http', 'http', 'ws'),
});

type FuzzRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;

function bytesOf(r: FuzzRequest): Buffer {
  const h = r.headers;
  const lines = [
    `${r.method} ${r.target} HTTP/1.1`,
    `Host: ${h.host}`,
    ...(h.authorization === undefined ? [] : [`Authorization: ${h.authorization}`]),
    ...(h.cookie === undefined ? [] : [`Cookie: ${h.cookie}`]),
    ...(h.origin === undefined ? [] : [`Origin: ${h.origin}`]),
    ...(h.contentType === undefined ? [] : [`Content-Type: ${h.contentType}`]),
    ...(h.contentEncoding === undefined ? [] : [`Content-Encoding: ${h.contentEncoding}`]),
    // Every answer ends the connection, so each run reads exactly one.
    `Connection: close${h.upgrade === undefined ? '' : ', Upgrade'}`,
    ...(h.upgrade === undefined ? [] : [`Upgrade: ${h.upgrade}`]),
    ...(h.wsKey === undefined ? [] : [`Sec-WebSocket-Key: ${h.wsKey}`]),
    ...(h.wsVersion === undefined ? [] : [`Sec-WebSocket-Version: ${h.wsVersion}`]),
    ...(h.wsProtocol === undefined ? [] : [`Sec-WebSocket-Protocol: ${h.wsProtocol}`]),
    ...(h.forwardedFor === undefined ? [] : [`X-Forwarded-For: ${h.forwardedFor}`]),
    ...(h.forwardedProto === undefined ? [] : [`X-Forwarded-Proto: ${h.forwardedProto}`]),
  ];
  const payload = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body);
  if (r.body !== undefined) lines.push(`Content-Length: ${payload.length}`);
  const head = `${lines.join('\r\n')}\r\n\r\n`.replaceAll(TOKEN, token);
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

describe('property: HTTP requests of any shape', () => {
  it('are answered below 500, and the server stays up', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const res = await rawRequest(r.port === 'ws' ? server.wsPort : server.httpPort, bytesOf(r));
        expect(res.status, `${r.method} ${r.target}`).toBeGreaterThanOrEqual(200);
        expect(res.status, `${r.method} ${r.target}: ${res.body}`).toBeLessThan(500);
      }),
      { numRuns: 600 },
    );
    const health = await fetch(`${server.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(log.atLeast(50)).toEqual([]);
    const fresh = await register(server);
    const history = await fetch(`${server.httpUrl}/api/sessions/${fresh.id}/messages`, { headers: { authorization: `Bearer ${fresh.token}` } });
    expect(history.status).toBe(200);
  });
});
