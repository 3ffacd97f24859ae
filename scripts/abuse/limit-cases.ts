/**
 * Abuse of the limits that keep one client from hurting others: open
 * WebSockets, open TCP connections and failed authentications per IP, the storage budget per
 * session, a burst of echoes against MAX_BUFFERED_BYTES, and /metrics.
 *
 * Per-IP cases come from an address of their own (any 127.x.y.z reaches a
 * server on 127.0.0.1), so they neither disturb the other cases, run at the
 * same time from 127.0.0.1, nor each other's second run.
 */
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { rawSocketFrom, type RawSocket } from './raw-http.js';
import { Op, RawWs } from './raw-ws.js';
import { bearer, echoOutcome, httpUrl, openSession, registerSession, wsTarget, type AbuseCase, type AbuseTarget } from './target.js';

/** A random loopback address other than 127.0.0.1: one client IP per case run. */
function loopbackAddress(): string {
  const byte = (from: number) => from + Math.floor(Math.random() * (255 - from));
  return `127.${byte(1)}.${byte(0)}.${byte(1)}`;
}

/** `HTTP <status>[ <error code>]` of a request (or an upgrade: 101 when accepted; a POST of `body` when given) sent from `localAddress`. */
function statusFrom(
  t: AbuseTarget,
  localAddress: string,
  port: number,
  path: string,
  headers: Record<string, string>,
  upgrade = false,
  body?: string,
): Promise<string> {
  const upgradeHeaders = upgrade
    ? { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }
    : {};
  return new Promise((resolve, reject) => {
    const method = body === undefined ? 'GET' : 'POST';
    const bodyHeaders = body === undefined ? {} : { 'content-type': 'application/json' };
    const req = request({ host: t.host, port, path, method, localAddress, headers: { ...upgradeHeaders, ...bodyHeaders, ...headers } });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve('HTTP 101');
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        let code = '';
        try {
          code = ` ${(JSON.parse(body) as { error: { code: string } }).error.code}`;
        } catch {
          // not a JSON error body
        }
        resolve(`HTTP ${res.statusCode}${code}`);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function openFrom(t: AbuseTarget, localAddress: string, sessionId: string, token: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://${t.host}:${t.wsPort}/ws/${sessionId}`, { localAddress, headers: bearer(token) });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Sends `count` text messages of `size` bytes in one write and reports how many came back as their exact echo. */
async function burst(t: AbuseTarget, count: number, size: number): Promise<string> {
  const { session, ws } = await openSession(t);
  const bodies = Array.from({ length: count }, (_, i) => `${i}:`.padEnd(size, 'b'));
  ws.send(...bodies.map((payload) => ({ opcode: Op.text, payload })));
  let echoed = 0;
  for (const body of bodies) {
    if ((await echoOutcome(ws, session.id, body, false)) !== 'echo ok') break;
    echoed++;
  }
  ws.send({ opcode: Op.close, payload: Buffer.from([0x03, 0xe8]) });
  await ws.closed();
  return `${echoed}/${count} echoed`;
}

export const limitCases: AbuseCase[] = [
  {
    name: 'one IP opens MAX_CONNECTIONS_PER_IP + 1 WebSockets over many sessions',
    expected: 'HTTP 429 too_many_ip_connections; another IP: HTTP 101',
    async run(t) {
      const from = loopbackAddress();
      const sessionCount = Math.ceil(t.limits.maxConnectionsPerIp / t.limits.maxConnectionsPerSession);
      const sessions = await Promise.all(Array.from({ length: sessionCount }, () => registerSession(t)));
      const open: WebSocket[] = [];
      try {
        const opening = await Promise.allSettled(
          Array.from({ length: t.limits.maxConnectionsPerIp }, (_, i) => {
            const s = sessions[i % sessions.length]!;
            return openFrom(t, from, s.id, s.token).then((ws) => open.push(ws));
          }),
        );
        const failed = opening.find((o) => o.status === 'rejected');
        if (failed) return `opening ${t.limits.maxConnectionsPerIp}: ${(failed.reason as Error).message}`;
        // A session with room: only the IP's cap can refuse.
        const fresh = await registerSession(t);
        const refused = await statusFrom(t, from, t.wsPort, `/ws/${fresh.id}`, bearer(fresh.token), true);
        const other = await statusFrom(t, loopbackAddress(), t.wsPort, `/ws/${fresh.id}`, bearer(fresh.token), true);
        return `${refused}; another IP: ${other}`;
      } finally {
        for (const ws of open) ws.terminate();
      }
    },
  },
  {
    name: 'one IP opens MAX_SOCKETS_PER_IP + 1 idle TCP connections over both ports',
    expected: 'one closed unanswered, the others answer; another IP: HTTP/1.1 200 OK',
    async run(t) {
      const from = loopbackAddress();
      const sockets: RawSocket[] = [];
      try {
        // The cap closes one socket without a byte. A socket left idle past HEADERS_TIMEOUT_MS (while the
        // others were still being opened on a busy machine) is answered 408 and closed: the slowloris guard
        // answering, not the cap, so it counts as answered, and another is opened in its place until more
        // than the cap have been open at once (bounded: at most twice the cap in all).
        const open = new Set<RawSocket>();
        const closedUnanswered = new Set<RawSocket>();
        let onUnanswered: () => void = () => undefined;
        const firstUnanswered = new Promise<void>((resolve) => (onUnanswered = resolve));
        for (let i = 0; open.size <= t.limits.maxSocketsPerIp && closedUnanswered.size === 0 && i < 2 * t.limits.maxSocketsPerIp; i++) {
          const s = await rawSocketFrom(from, i % 2 === 0 ? t.httpPort : t.wsPort);
          sockets.push(s);
          open.add(s);
          void s.ended.then(({ answered }) => {
            open.delete(s);
            if (answered) return;
            closedUnanswered.add(s);
            onUnanswered();
          });
        }
        const timer = setTimeout(onUnanswered, 5000);
        await firstUnanswered;
        clearTimeout(timer);
        const kept = [...open];
        const asked = await Promise.all(kept.map((s) => s.ask(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`).catch(() => 'no answer')));
        const unanswered = asked.filter((line) => !/^HTTP\/1\.1 (200|408|426) /.test(line)).length;
        const other = await rawSocketFrom(loopbackAddress(), t.httpPort);
        sockets.push(other);
        const otherLine = await other.ask(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        const first = closedUnanswered.size === 1 ? 'one closed unanswered' : `${closedUnanswered.size} closed unanswered`;
        return `${first}, ${unanswered === 0 ? 'the others answer' : `${unanswered} others unanswered`}; another IP: ${otherLine}`;
      } finally {
        for (const s of sockets) s.socket.destroy();
      }
    },
  },
  {
    name: 'failed authentications from one IP past AUTH_FAILURE_LIMIT (upgrades and HTTP)',
    expected: 'upgrade HTTP 429 too_many_auth_failures, history HTTP 429 too_many_auth_failures; another IP: HTTP 200',
    async run(t) {
      const from = loopbackAddress();
      const { id, token } = await registerSession(t);
      for (let i = 0; i < t.limits.authFailureLimit; i++) {
        const probe = i % 2 === 0 ? `/ws/${id}` : `/ws/probe-${i}`;
        await statusFrom(t, from, t.wsPort, probe, bearer('wrong-token'), true);
      }
      // Now even the right token is refused from this IP, on both paths.
      const upgrade = await statusFrom(t, from, t.wsPort, `/ws/${id}`, bearer(token), true);
      const history = await statusFrom(t, from, t.httpPort, `/api/sessions/${id}/messages`, bearer(token));
      const other = await statusFrom(t, loopbackAddress(), t.httpPort, `/api/sessions/${id}/messages`, bearer(token));
      return `upgrade ${upgrade}, history ${history}; another IP: ${other}`;
    },
  },
  {
    name: 'rejoins (POST /api/sessions) with wrong tokens from one IP past AUTH_FAILURE_LIMIT',
    expected: 'each HTTP 401 unauthorized, then even the right token HTTP 429 too_many_auth_failures; another IP: HTTP 200',
    async run(t) {
      const from = loopbackAddress();
      const { id, token } = await registerSession(t);
      const body = JSON.stringify({ id });
      const wrong = new Set<string>();
      for (let i = 0; i < t.limits.authFailureLimit; i++) wrong.add(await statusFrom(t, from, t.httpPort, '/api/sessions', bearer(`wrong-${i}`), false, body));
      const right = await statusFrom(t, from, t.httpPort, '/api/sessions', bearer(token), false, body);
      const other = await statusFrom(t, loopbackAddress(), t.httpPort, '/api/sessions', bearer(token), false, body);
      return `each ${[...wrong].join(' / ')}, then even the right token ${right}; another IP: ${other}`;
    },
  },
  {
    name: 'text mode: one session writes past MAX_SESSION_BYTES',
    expected: 'close 1008 session_storage_full: message not stored',
    async run(t) {
      const { ws } = await openSession(t);
      const size = 64 * 1024;
      const count = Math.floor(t.limits.maxSessionBytes / size) + 1;
      for (let i = 0; i < count; i++) ws.send({ opcode: Op.text, payload: Buffer.alloc(size, 0x61 + (i % 26)) });
      const closed = await ws.closed();
      return closed ? `close ${closed.code} ${closed.reason}` : 'ended without a close frame';
    },
  },
  {
    name: 'JSON mode: one session writes past MAX_SESSION_BYTES',
    expected: 'error session_storage_full, connection open',
    async run(t) {
      const { id, token } = await registerSession(t);
      const ws = await RawWs.open(wsTarget(t, `/ws/${id}`, { ...bearer(token), 'sec-websocket-protocol': 'session.v1' }));
      const text = 'j'.repeat(60_000);
      const count = Math.floor(t.limits.maxSessionBytes / text.length) + 1;
      for (let i = 0; i < count; i++) ws.send({ opcode: Op.text, payload: JSON.stringify({ type: 'send', id: `j${i}`, text }) });
      for (;;) {
        const frame = await ws.next();
        if (!frame) return 'ended without an error frame';
        if (frame.opcode !== Op.text) continue;
        const message = JSON.parse(frame.payload.toString()) as { type: string; code?: string };
        if (message.type !== 'error') continue;
        ws.send({ opcode: Op.ping, payload: 'open?' });
        let pong = await ws.next();
        while (pong && pong.opcode !== Op.pong) pong = await ws.next();
        ws.destroy();
        return `error ${message.code}, connection ${pong ? 'open' : 'closed'}`;
      }
    },
  },
  {
    name: 'burst of echoes over MAX_BUFFERED_BYTES in one write, read promptly',
    expected: '12/12 echoed',
    run: (t) => burst(t, 12, Math.ceil((1.25 * t.limits.maxBufferedBytes) / 12)),
  },
  {
    name: 'GET /metrics without METRICS_TOKEN',
    expected: 'HTTP 401 unauthorized',
    run: (t) => statusFrom(t, '127.0.0.1', t.httpPort, '/metrics', {}),
  },
  {
    name: '16 concurrent scrapes of /metrics (with the token)',
    expected: 'HTTP 200 x16, one rendering per second',
    async run(t) {
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 16 }, async () => {
          const res = await fetch(httpUrl(t, '/metrics'), { headers: bearer(t.limits.metricsToken) });
          return { status: res.status, body: await res.text() };
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const statuses = new Set(answers.map((a) => a.status));
      const renderings = new Set(answers.map((a) => a.body)).size;
      const statusText = statuses.size === 1 ? `HTTP ${[...statuses][0]} x16` : `HTTP ${[...statuses].join('/')}`;
      return `${statusText}, ${renderings <= 1 + Math.floor(seconds) ? 'one rendering per second' : `${renderings} renderings in ${seconds.toFixed(1)} s`}`;
    },
  },
];
