/**
 * Abuse of the data path: text that tokenizers, snippet markers, JSON and
 * spreadsheets each read differently (issue 10, items 3, 4, 5 and 10), and a
 * frame nested as deep as its size allows (review A1).
 */
import { SUBPROTOCOL, type RegisteredSession, type SearchPage } from '../../protocol/wire.js';
import { Op, RawWs, closePayload } from './raw-ws.js';
import { bearer, echoOutcome, httpUrl, openSession, wsTarget, type AbuseCase, type AbuseTarget } from './target.js';

/** A fresh session holding `body` (sent in text mode), with its token. */
async function sessionWith(t: AbuseTarget, body: string): Promise<{ id: string; token: string }> {
  const { session, ws } = await openSession(t);
  ws.send({ opcode: Op.text, payload: body });
  const echo = await echoOutcome(ws, session.id, body);
  if (echo !== 'echo ok') throw new Error(`storing the body: ${echo}`);
  return session;
}

async function get(t: AbuseTarget, path: string, token: string): Promise<Response> {
  return fetch(httpUrl(t, path), { headers: bearer(token) });
}

/** A fresh session with a JSON-mode connection whose `ready` is read. */
async function openJsonSession(t: AbuseTarget): Promise<{ session: RegisteredSession; ws: RawWs }> {
  const { session } = await openSession(t);
  const headers = { ...bearer(session.token), 'sec-websocket-protocol': SUBPROTOCOL };
  const ws = await RawWs.open(wsTarget(t, `/ws/${session.id}`, headers));
  await nextJson(ws);
  return { session, ws };
}

/** Reads the next text frame of a JSON-mode connection as an object. */
async function nextJson(ws: RawWs): Promise<Record<string, unknown> | null> {
  let frame = await ws.next();
  while (frame?.opcode === Op.pong) frame = await ws.next();
  return frame?.opcode === Op.text ? (JSON.parse(frame.payload.toString('utf8')) as Record<string, unknown>) : null;
}

export const dataCases: AbuseCase[] = [
  {
    name: 'search for a word split by U+19B0 (a letter to JS, a separator to SQLite)',
    expected: 'HTTP 200, found',
    async run(t) {
      const { id, token } = await sessionWith(t, 'a\u19B0b');
      const res = await get(t, `/api/sessions/${id}/search?q=a%E1%A6%B0b`, token);
      if (res.status !== 200) return `HTTP ${res.status}`;
      const page = (await res.json()) as SearchPage;
      return `HTTP 200, ${page.results.length === 1 ? 'found' : `${page.results.length} results`}`;
    },
  },
  {
    name: 'search in a body holding the snippet marker characters U+E000/U+E001',
    expected: 'snippet exact',
    async run(t) {
      const body = 'alpha\uE001beta \uE000gamma\uE001 gamma';
      const { id, token } = await sessionWith(t, body);
      const res = await get(t, `/api/sessions/${id}/search?q=gamma`, token);
      if (res.status !== 200) return `HTTP ${res.status}`;
      const [hit] = ((await res.json()) as SearchPage).results;
      const marked = hit?.snippet.filter((p) => p.match).map((p) => p.text);
      const joined = hit?.snippet.map((p) => p.text).join('');
      return joined === body && marked?.length === 1 && marked[0] === 'gamma' ? 'snippet exact' : `snippet ${JSON.stringify(hit?.snippet)}`;
    },
  },
  {
    name: 'JSON frame with a lone surrogate in the client id',
    expected: 'invalid_frame, then echo',
    async run(t) {
      const { ws } = await openJsonSession(t);
      try {
        ws.send({ opcode: Op.text, payload: '{"type":"send","id":"\\ud800","text":"hello"}' });
        const error = await nextJson(ws);
        ws.send({ opcode: Op.text, payload: '{"type":"send","id":"ok","text":"hello"}' });
        const echo = await nextJson(ws);
        return `${String(error?.code ?? error?.type)}, then ${String(echo?.type)}`;
      } finally {
        ws.send({ opcode: Op.close, payload: closePayload(1000) });
        await ws.closed();
      }
    },
  },
  {
    name: 'JSON frame of MAX_MESSAGE_BYTES nested as deep as it fits',
    expected: 'invalid_frame, /healthz 200, then echo',
    async run(t) {
      const { ws } = await openJsonSession(t);
      try {
        const frame = (deep: string) => `{"type":"send","id":"deep","text":"hi","a":${deep}}`;
        const depth = Math.floor((t.limits.maxMessageBytes - frame('').length) / 2);
        ws.send({ opcode: Op.text, payload: frame(`${'['.repeat(depth)}${']'.repeat(depth)}`) });
        const error = await nextJson(ws);
        const health = await fetch(httpUrl(t, '/healthz'));
        await health.arrayBuffer();
        ws.send({ opcode: Op.text, payload: frame('[]') });
        const echo = await nextJson(ws);
        return `${String(error?.code ?? error?.type)}, /healthz ${health.status}, then ${String(echo?.type)}`;
      } finally {
        ws.send({ opcode: Op.close, payload: closePayload(1000) });
        await ws.closed();
      }
    },
  },
  {
    name: 'CSV export of a message whose body and client id are formulas',
    expected: 'cells neutralised',
    async run(t) {
      const { session, ws } = await openJsonSession(t);
      ws.send({ opcode: Op.text, payload: JSON.stringify({ type: 'send', id: '=HYPERLINK("http://example.invalid","x")', text: '@SUM(1)' }) });
      await nextJson(ws);
      ws.send({ opcode: Op.close, payload: closePayload(1000) });
      await ws.closed();
      const csv = await (await get(t, `/api/sessions/${session.id}/export?format=csv`, session.token)).text();
      const row = csv.split('\n')[1] ?? '';
      return row.startsWith(`1,"'=HYPERLINK(`) && row.endsWith(",'@SUM(1)") ? 'cells neutralised' : `row ${row}`;
    },
  },
];
