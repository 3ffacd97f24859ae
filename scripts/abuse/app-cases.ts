/**
 * Abuse of the application's own limits: the rate limit, the upgrade's
 * refusals (before any 101), the HTTP API's body rules and the slowloris guard.
 */
import { Op, RawWs, closePayload } from './raw-ws.js';
import {
  bearer,
  httpOutcome,
  openSession,
  outcome,
  registerSession,
  slowloris,
  upgradeOutcome,
  wsTarget,
  type AbuseCase,
  type AbuseTarget,
} from './target.js';

/** An upgrade of a fresh session's /ws/{ID}, with `tweak` deciding what the request presents. */
function upgradeCase(
  name: string,
  expected: string,
  tweak: (id: string, token: string) => { path?: string; headers?: Record<string, string> },
): AbuseCase {
  return {
    name,
    expected,
    async run(t) {
      const { id, token } = await registerSession(t);
      const { path = `/ws/${id}`, headers = bearer(token) } = tweak(id, token);
      return upgradeOutcome(wsTarget(t, path, headers));
    },
  };
}

function postSessions(t: AbuseTarget, body: string, headers: Record<string, string>): Promise<string> {
  return httpOutcome(t, '/api/sessions', { method: 'POST', body, headers });
}

export const appCases: AbuseCase[] = [
  {
    name: 'rate limit flood, text mode (WS_RATE_LIMIT)',
    expected: 'close 1008 rate_limited',
    async run(t) {
      const { ws } = await openSession(t);
      // The burst (2 x limit) is stored; the first message over it closes the connection (text mode has no error frame).
      const count = 5 * t.limits.wsRateLimit + 10;
      ws.send(...Array.from({ length: count }, (_, i) => ({ opcode: Op.text, payload: `flood ${i}` })));
      return outcome(ws);
    },
  },

  // Upgrades refused before the 101.
  upgradeCase('upgrade from a foreign Origin', 'HTTP 403', (_id, token) => ({
    headers: { ...bearer(token), origin: 'http://evil.example' },
  })),
  {
    name: 'too many connections for one session',
    expected: 'HTTP 429',
    async run(t) {
      const { id, token } = await registerSession(t);
      const target = wsTarget(t, `/ws/${id}`, bearer(token));
      const open: RawWs[] = [];
      try {
        for (let i = 0; i < t.limits.maxConnectionsPerSession; i++) open.push(await RawWs.open(target));
        return await upgradeOutcome(target);
      } finally {
        for (const ws of open) ws.send({ opcode: Op.close, payload: closePayload(1000) });
        await Promise.all(open.map((ws) => ws.closed()));
      }
    },
  },
  upgradeCase('bad session ID in the path', 'HTTP 400', (_id, token) => ({ path: '/ws/bad%20id', headers: bearer(token) })),
  upgradeCase('session ID of 65 characters', 'HTTP 400', (_id, token) => ({ path: `/ws/${'a'.repeat(65)}`, headers: bearer(token) })),
  upgradeCase('no token', 'HTTP 401', () => ({ headers: {} })),
  upgradeCase('wrong token', 'HTTP 401', () => ({ headers: bearer('not-the-token') })),
  upgradeCase('unknown session', 'HTTP 404', (_id, token) => ({ path: '/ws/no-such-session-anywhere', headers: bearer(token) })),
  upgradeCase('unsupported subprotocol', 'HTTP 400', (_id, token) => ({
    headers: { ...bearer(token), 'sec-websocket-protocol': 'chat.v9' },
  })),
  upgradeCase('valid upgrade (control)', 'HTTP 101', () => ({})),

  // The HTTP API.
  {
    name: 'HTTP: JSON body over MAX_BODY_BYTES',
    expected: 'HTTP 413',
    run: (t) =>
      postSessions(t, JSON.stringify({ id: 'big', pad: 'p'.repeat(t.limits.maxBodyBytes) }), { 'content-type': 'application/json' }),
  },
  { name: 'HTTP: wrong content type', expected: 'HTTP 415', run: (t) => postSessions(t, 'id=x', { 'content-type': 'text/plain' }) },
  { name: 'HTTP: malformed JSON', expected: 'HTTP 400', run: (t) => postSessions(t, '{"id":', { 'content-type': 'application/json' }) },
  {
    name: 'HTTP: POST from a foreign Origin',
    expected: 'HTTP 403',
    run: (t) => postSessions(t, '{}', { 'content-type': 'application/json', origin: 'http://evil.example' }),
  },
  {
    name: 'plain HTTP on the WebSocket port',
    expected: 'HTTP 426',
    async run(t) {
      const res = await fetch(`http://${t.host}:${t.wsPort}/ws/x`);
      await res.arrayBuffer();
      return `HTTP ${res.status}`;
    },
  },
  { name: 'slow headers (slowloris), HTTP port', expected: 'HTTP 408', run: (t) => slowloris(t.host, t.httpPort) },
  { name: 'slow headers (slowloris), WebSocket port', expected: 'HTTP 408', run: (t) => slowloris(t.host, t.wsPort) },
];
