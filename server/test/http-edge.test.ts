import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredSession } from '../../protocol/wire.js';
import { register, startTestServer, tempDir, type TestServer } from './harness.js';
import { logCapture } from './log-capture.js';
import { errorCode, rawRequest, requestHead, type RawResponse } from '../../scripts/abuse/raw-http.js';

/**
 * The HTTP edge against odd but parseable requests: malformed Host headers
 * and request-targets, upgrade offers other than WebSocket, methods and body
 * encodings the server does not take. None may be a 500, and none may be
 * logged as a server fault.
 */
let server: TestServer;
let folder: ReturnType<typeof tempDir>;
let session: RegisteredSession;
const log = logCapture();

beforeAll(async () => {
  folder = tempDir();
  server = await startTestServer(folder.dir, { logLevel: 'info' }, log.stream);
  session = await register(server, 'edge');
});
afterAll(async () => {
  await server.close();
  folder.remove();
  // A client's mistake is answered, not reported: no line of this file's requests was at error level.
  expect(log.atLeast(50)).toEqual([]);
});

const send = (line: string, headers: Array<string | [string, string]> = [], options: { host?: string | null; body?: string | Buffer; port?: number } = {}) => {
  const head = requestHead(line, [...headers, ...(options.body === undefined ? [] : [`Content-Length: ${options.body.length}`])], options.host);
  return rawRequest(options.port ?? server.httpPort, options.body === undefined ? head : Buffer.concat([Buffer.from(head), Buffer.from(options.body)]));
};
const json = ['Content-Type: application/json'];
const wsHandshake = ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13'];

/** Every kind of route: reading a token, reading `?id=`, writing, unknown, static, probes. */
const routes = () => {
  const t = session.token;
  return [
    ['GET', `/api/sessions/edge/messages?token=${t}`],
    ['GET', `/api/sessions/edge/search?q=hello&token=${t}`],
    ['GET', `/api/sessions/edge/export?format=csv&token=${t}`],
    ['GET', `/api/sessions/edge?token=${t}`],
    ['PATCH', `/api/sessions/edge?token=${t}`],
    ['DELETE', '/api/sessions/edge'],
    ['DELETE', '/api/sessions/no-such-session'],
    ['GET', '/stream?id=edge'],
    ['GET', '/stream?id=edge-new'],
    ['POST', '/api/sessions'],
    ['GET', '/healthz'],
    ['GET', '/'],
  ] as const;
};

describe('malformed Host headers and request-targets', () => {
  const malformedHosts = ['a b', 'localhost:99999', 'localhost:port', '[::1', 'user@localhost', 'localhost/x', 'localhost:8080:1', ''];

  it.each(malformedHosts)('Host %j is a 400 on every route, before anything runs', async (host) => {
    for (const [method, target] of routes()) {
      const res = await send(`${method} ${target} HTTP/1.1`, method === 'POST' || method === 'PATCH' ? json : [], {
        host,
        ...(method === 'POST' || method === 'PATCH' ? { body: '{}' } : {}),
      });
      expect([res.status, errorCode(res)], `${method} ${target}`).toEqual([400, 'bad_request']);
    }
    expect(await server.store.sessions.findById('edge-new')).toBeUndefined();
    expect(await server.store.sessions.findById('edge')).toMatchObject({ id: 'edge' });
  });

  it.each(['ws', 'http'] as const)('a malformed Host on an upgrade (%s port) is a 400 JSON refusal', async (port) => {
    const res = await send('GET /ws/edge HTTP/1.1', [...wsHandshake, `Authorization: Bearer ${session.token}`], {
      host: 'a b',
      port: port === 'ws' ? server.wsPort : server.httpPort,
    });
    expect([res.status, errorCode(res)]).toEqual([400, 'bad_request']);
  });

  it('reads path and query from the request-target alone, whatever its form', async () => {
    const t = session.token;
    const cases: Array<[string, number, string | null]> = [
      // Absolute form: its authority is the request's host (RFC 9112 §3.2.2), checked as a Host header is.
      [`GET http://127.0.0.1:1/api/sessions/edge/messages?token=${t} HTTP/1.1`, 200, null],
      [`GET http://LOCALHOST/api/sessions/edge?token=${t} HTTP/1.1`, 200, null],
      [`GET http://a%20b/api/sessions/edge/messages?token=${t} HTTP/1.1`, 400, 'bad_request'],
      [`GET http://[::1/api/sessions/edge?token=${t} HTTP/1.1`, 400, 'bad_request'],
      ['DELETE http://a%20b/api/sessions/no-such-session HTTP/1.1', 400, 'bad_request'],
      [`GET http://attacker.test/api/sessions/edge/messages?token=${t} HTTP/1.1`, 421, 'host_not_allowed'],
      ['GET https://attacker.test:8080/healthz HTTP/1.1', 421, 'host_not_allowed'],
      ['GET http://user@127.0.0.1/healthz HTTP/1.1', 400, 'bad_request'],
      // Malformed escapes and repeated names in the query.
      ['GET /api/sessions/edge/messages?token=%zz HTTP/1.1', 401, 'unauthorized'],
      ['GET /api/sessions/edge/messages?token=%E0%A4%A HTTP/1.1', 401, 'unauthorized'],
      ['GET /stream?id=%zz HTTP/1.1', 400, 'invalid_session_id'],
      ['GET /stream?id=a&id=b HTTP/1.1', 400, 'invalid_session_id'],
      ['GET /api/sessions/%E0%A4%A/messages HTTP/1.1', 400, 'invalid_session_id'],
      // A path with an empty segment is no route's and no file's (koa-send's "Malicious Path" 400 is a path nothing serves).
      ['GET //x/../api/sessions/edge/messages HTTP/1.1', 404, 'not_found'],
      // Forms without a path: asterisk (OPTIONS *), authority.
      ['OPTIONS * HTTP/1.1', 400, 'bad_request'],
      ['GET 127.0.0.1:80 HTTP/1.1', 400, 'bad_request'],
    ];
    for (const [line, status, code] of cases) {
      const res = await send(line);
      expect([res.status, errorCode(res)], line).toEqual([status, code]);
    }
  });

  it.each(['ws', 'http'] as const)('upgrade request-targets in any form are refused as clients\' mistakes (%s port)', async (port) => {
    const cases: Array<[string, number, string]> = [
      ['GET //a%20b/ws/edge HTTP/1.1', 404, 'not_found'],
      ['GET http://a%20b/ws/edge HTTP/1.1', 400, 'bad_request'],
      ['GET http://attacker.test/ws/edge HTTP/1.1', 421, 'host_not_allowed'],
      ['GET http://127.0.0.1/ws/edge HTTP/1.1', 401, 'unauthorized'],
      ['GET /ws/edge?token=%zz HTTP/1.1', 401, 'unauthorized'],
      ['GET /ws/%zz HTTP/1.1', 400, 'invalid_session_id'],
    ];
    for (const [line, status, code] of cases) {
      const res = await send(line, wsHandshake, { port: port === 'ws' ? server.wsPort : server.httpPort });
      expect([res.status, errorCode(res)], line).toEqual([status, code]);
    }
  });
});

describe('Host header count (RFC 9112 §3.2)', () => {
  it.each(['ws', 'http'] as const)('HTTP/1.1 without Host, or with two, is a 400 with the JSON body (%s port)', async (which) => {
    const port = which === 'ws' ? server.wsPort : server.httpPort;
    const upgrade = [...wsHandshake, `Authorization: Bearer ${session.token}`];
    const requests: Array<[string, string[], string | null]> = [
      ['GET /ws/edge HTTP/1.1', upgrade, null],
      ['GET /ws/edge HTTP/1.1', [...upgrade, 'Host: attacker.test'], '127.0.0.1'],
      ['GET /ws/edge HTTP/1.1', [...upgrade, 'Host: 127.0.0.1'], '127.0.0.1'],
      ...(which === 'http'
        ? ([
            ['GET /healthz HTTP/1.1', [], null],
            [`GET /api/sessions/edge/messages?token=${session.token} HTTP/1.1`, ['Host: attacker.test'], '127.0.0.1'],
            ['GET /healthz HTTP/1.1', ['host: 127.0.0.1'], '127.0.0.1'],
          ] as Array<[string, string[], string | null]>)
        : []),
    ];
    for (const [line, headers, host] of requests) {
      const res = await send(line, headers, { host, port });
      expect([res.status, errorCode(res)], `${line} ${headers.join(' ')}`).toEqual([400, 'bad_request']);
    }
    // HTTP/1.0 may leave Host out.
    expect((await send('GET /healthz HTTP/1.0', [], { host: null })).status).toBe(200);
  });
});

describe('upgrade offers other than WebSocket are ordinary HTTP/1.1 requests', () => {
  const offers = [
    ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA'], // curl --http2
    ['Connection: upgrade', 'Upgrade: TLS/1.2'],
    ['Connection: keep-alive, Upgrade', 'Upgrade: websocket, h2c'],
    ['Connection: Upgrade', 'Upgrade: HTTP/2.0'],
  ];

  it.each(offers.map((o) => [o[1]!, o]))('%s: every route answers as without it (HTTP port)', async (_name, offer) => {
    const t = session.token;
    const expectations: Array<[string, number]> = [
      ['GET /healthz HTTP/1.1', 200],
      [`GET /api/sessions/edge/messages?token=${t} HTTP/1.1`, 200],
      ['GET /api/sessions/edge/messages HTTP/1.1', 401],
      ['GET /ws/edge HTTP/1.1', 404],
      ['GET /stream?id=edge HTTP/1.1', 409],
    ];
    for (const [line, status] of expectations) {
      const res = await send(line, offer);
      expect(res.status, line).toBe(status);
    }
    expect(JSON.parse((await send('GET /healthz HTTP/1.1', offer)).body)).toEqual({ status: 'ok' });
  });

  it('reads the body of a declined upgrade, and the connection goes on to the next request', async () => {
    const body = JSON.stringify({ id: 'h2c-body' });
    const first = requestHead('POST /api/sessions HTTP/1.1', ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', ...json, `Content-Length: ${body.length}`])
      .replace('Connection: close\r\n', '');
    const second = requestHead('GET /healthz HTTP/1.1');
    const res = await rawRequest(server.httpPort, first + body + second);
    expect(res.status).toBe(201);
    expect(await server.store.sessions.findById('h2c-body')).toBeDefined();
    expect(res.body).toContain('{"status":"ok"}'); // the second answer followed on the same connection
  });

  it('on the WebSocket port, a plain request with another upgrade offer gets the port\'s 426', async () => {
    for (const offer of offers) {
      const res = await send('GET /healthz HTTP/1.1', offer, { port: server.wsPort });
      expect([res.status, errorCode(res)]).toEqual([426, 'upgrade_required']);
    }
  });
});

describe('a client\'s mistake is a 4xx', () => {
  const post = (encoding: string, body: Buffer) => send('POST /api/sessions HTTP/1.1', [...json, `Content-Encoding: ${encoding}`], { body });

  it('a body that is not what its Content-Encoding says is 400; an unknown encoding 415; a real one works', async () => {
    const notCompressed = Buffer.from('{"id":"enc"}');
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await post(encoding, notCompressed);
      expect([res.status, errorCode(res)], encoding).toEqual([400, 'undecodable_body']);
    }
    const truncated = gzipSync(notCompressed).subarray(0, 12);
    expect(errorCode(await post('gzip', truncated))).toBe('undecodable_body');
    const unknown = await post('compress', notCompressed);
    expect([unknown.status, errorCode(unknown)]).toEqual([415, 'unsupported_media_type']);
    expect(await server.store.sessions.findById('enc')).toBeUndefined();

    expect((await post('gzip', gzipSync(notCompressed))).status).toBe(201);
    expect((await post('br', brotliCompressSync(Buffer.from('{"id":"enc-br"}')))).status).toBe(201);
  });

  it("answers in the API's JSON what Node or koa-send would answer bare: Expect other than 100-continue, `//` paths, a __proto__ key", async () => {
    const expectation = await send('POST /api/sessions HTTP/1.1', [...json, 'Expect: foo'], { body: '{}' });
    expect([expectation.status, errorCode(expectation)]).toEqual([417, 'expectation_failed']);
    for (const path of ['//api/sessions', '//healthz', '//etc/passwd']) {
      const res = await send(`GET ${path} HTTP/1.1`);
      expect([res.status, errorCode(res)], path).toEqual([404, 'not_found']);
    }
    const proto = await send('POST /api/sessions HTTP/1.1', json, { body: '{"__proto__":{"id":"x"},"id":"proto"}' });
    expect([proto.status, errorCode(proto)]).toEqual([400, 'invalid_body']);
    expect(await server.store.sessions.findById('proto')).toBeUndefined();
  });

  it('a method the path does not take is 405 with Allow, known to the router or not', async () => {
    const cases: Array<[string, string]> = [
      ['PROPFIND / HTTP/1.1', 'GET, HEAD'],
      ['PROPFIND /no/such/path HTTP/1.1', 'GET, HEAD'],
      ['TRACE / HTTP/1.1', 'GET, HEAD'],
      ['PROPFIND /api/sessions HTTP/1.1', 'POST, OPTIONS'],
      ['PUT /api/sessions HTTP/1.1', 'POST, OPTIONS'],
      ['MKCOL /api/sessions/edge/messages HTTP/1.1', 'HEAD, GET, OPTIONS'],
      ['SEARCH /stream HTTP/1.1', 'GET, OPTIONS'],
    ];
    for (const [line, allow] of cases) {
      const res = await send(line);
      expect([res.status, errorCode(res), res.headers.allow], line).toEqual([405, 'method_not_allowed', allow]);
    }
    const patchAndDelete = await send('PUT /api/sessions/edge HTTP/1.1');
    expect(patchAndDelete.headers.allow?.split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH']);
  });

  it('OPTIONS lists the methods; a known method on a path nothing serves stays 404', async () => {
    const options = await send('OPTIONS /api/sessions HTTP/1.1');
    expect([options.status, options.headers.allow]).toEqual([204, 'POST, OPTIONS']);
    for (const line of ['POST /nope HTTP/1.1', 'DELETE /nope HTTP/1.1', 'GET /api/nope HTTP/1.1']) {
      expect(errorCode(await send(line)), line).toBe('not_found');
    }
  });

  it('CONNECT, which asks for a tunnel, is a 405 on both ports, not a dropped connection', async () => {
    for (const port of [server.httpPort, server.wsPort]) {
      const res: RawResponse = await rawRequest(port, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n');
      expect([res.status, errorCode(res)]).toEqual([405, 'method_not_allowed']);
    }
  });

  it('logs each of these as a request with its 4xx, never as a failure', () => {
    const requests = log.lines.map((line) => JSON.parse(line) as { msg: string; status?: number; level: number });
    const clientErrors = requests.filter((entry) => entry.msg === 'request' && entry.status! >= 400);
    expect(clientErrors.length).toBeGreaterThan(20);
    expect(clientErrors.every((entry) => entry.status! < 500 && entry.level === 30)).toBe(true);
    expect(requests.filter((entry) => entry.msg === 'request failed')).toEqual([]);
  });
});
