/**
 * Abuse of the HTTP edge (issue 10): odd Host headers, upgrade offers that
 * are not WebSocket, methods and encodings nobody serves, handshakes ws would
 * refuse itself, session fixation by link. Each reports `HTTP <status>
 * <error code>`, so a right status with a wrong body (text/html) fails too.
 */
import { randomUUID } from 'node:crypto';
import { errorCode, rawRequest, requestHead } from './raw-http.js';
import { registerSession, type AbuseCase, type AbuseTarget } from './target.js';

const WS_HANDSHAKE = ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13'];

/** Sends one raw request to the HTTP port (or the WebSocket port) and reports `HTTP <status> <code>`. */
async function answer(t: AbuseTarget, line: string, headers: string[] = [], options: { host?: string; body?: string; ws?: boolean } = {}) {
  const body = options.body ?? '';
  const head = requestHead(line, [...headers, ...(body ? [`Content-Length: ${Buffer.byteLength(body)}`] : [])], options.host ?? t.host);
  const res = await rawRequest(options.ws ? t.wsPort : t.httpPort, head + body);
  return `HTTP ${res.status} ${errorCode(res) ?? (res.status < 300 ? 'ok' : 'not JSON')}`;
}

/** With a fresh session's ID and token. */
function withSession(name: string, expected: string, run: (t: AbuseTarget, id: string, token: string) => Promise<string>): AbuseCase {
  return {
    name,
    expected,
    async run(t) {
      const { id, token } = await registerSession(t);
      return run(t, id, token);
    },
  };
}

export const edgeCases: AbuseCase[] = [
  withSession('HTTP: malformed Host on a route reading the token', 'HTTP 400 bad_request', (t, id, token) =>
    answer(t, `GET /api/sessions/${id}/messages?token=${token} HTTP/1.1`, [], { host: 'a b' }),
  ),
  withSession('HTTP: DNS rebinding (foreign Host, its own Origin)', 'HTTP 421 host_not_allowed', (t, id, token) =>
    answer(t, `GET /api/sessions/${id}/messages HTTP/1.1`, [`Authorization: Bearer ${token}`, 'Origin: http://attacker.test'], { host: 'attacker.test' }),
  ),
  withSession('upgrade: DNS rebinding (foreign Host)', 'HTTP 421 host_not_allowed', (t, id, token) =>
    answer(t, `GET /ws/${id} HTTP/1.1`, [...WS_HANDSHAKE, `Authorization: Bearer ${token}`], { host: 'attacker.test', ws: true }),
  ),
  {
    name: 'HTTP: Upgrade h2c (curl --http2) on /healthz',
    expected: 'HTTP 200 ok',
    run: (t) => answer(t, 'GET /healthz HTTP/1.1', ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA']),
  },
  { name: 'HTTP: PROPFIND /', expected: 'HTTP 405 method_not_allowed', run: (t) => answer(t, 'PROPFIND / HTTP/1.1') },
  {
    name: 'HTTP: Content-Encoding gzip, body not gzip',
    expected: 'HTTP 400 undecodable_body',
    run: (t) => answer(t, 'POST /api/sessions HTTP/1.1', ['Content-Type: application/json', 'Content-Encoding: gzip'], { body: '{"id":"gz"}' }),
  },
  {
    name: 'HTTP: HEAD /stream?id=, then GET (HEAD registers nothing)',
    expected: 'HEAD 405 Allow: GET, OPTIONS; GET HTTP 201 ok',
    async run(t) {
      const id = `head-${randomUUID()}`;
      const head = await rawRequest(t.httpPort, requestHead(`HEAD /stream?id=${id} HTTP/1.1`, [], t.host));
      return `HEAD ${head.status} Allow: ${head.headers.allow}; GET ${await answer(t, `GET /stream?id=${id} HTTP/1.1`)}`;
    },
  },
  withSession('HTTP: session fixation link /stream?id=<taken>&token=<its token>', 'HTTP 409 session_exists', (t, id, token) =>
    answer(t, `GET /stream?id=${id}&token=${token} HTTP/1.1`),
  ),
  {
    name: 'HTTP: POST from the Vite dev origin (production)',
    expected: 'HTTP 403 origin_not_allowed',
    run: (t) => answer(t, 'POST /api/sessions HTTP/1.1', ['Content-Type: application/json', 'Origin: http://localhost:5173'], { body: '{}' }),
  },
  withSession('HTTP: a route spelled otherwise (/API/SESSIONS/<ID>/MESSAGES/, wrong token)', 'HTTP 404 not_found', (t, id) =>
    answer(t, `GET /API/SESSIONS/${id}/MESSAGES/ HTTP/1.1`, ['Authorization: Bearer wrong']),
  ),
  withSession('upgrade: Sec-WebSocket-Version 99', 'HTTP 400 invalid_handshake', (t, id, token) =>
    answer(t, `GET /ws/${id} HTTP/1.1`, [...WS_HANDSHAKE.slice(0, 3), 'Sec-WebSocket-Version: 99', `Authorization: Bearer ${token}`], { ws: true }),
  ),
  withSession('upgrade: malformed Sec-WebSocket-Protocol', 'HTTP 400 invalid_handshake', (t, id, token) =>
    answer(t, `GET /ws/${id} HTTP/1.1`, [...WS_HANDSHAKE, 'Sec-WebSocket-Protocol: session.v1,,', `Authorization: Bearer ${token}`], { ws: true }),
  ),
];
