import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { register, startTestServer, tempDir, TestClient, type TestServer } from './harness.js';
import { logCapture } from './log-capture.js';
import { censorTokens, loggableUrl } from '../logger.js';
import { rawRequest, requestHead } from '../../scripts/abuse/raw-http.js';

let server: TestServer | undefined;
let folder: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await server?.close();
  folder?.remove();
});

/** Percent-encodes every character of `text`: `abc` -> `%61%62%63`. */
const encodeAll = (text: string) => [...Buffer.from(text)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

/**
 * Every way a token can travel in a request, sent raw on port `port`: query
 * names however written or encoded, repeated, in the path, in headers a
 * server might log. Some of these authorise, most do not; none may be logged.
 */
async function sendTokenEverywhere(port: number, id: string, token: string): Promise<void> {
  const half = token.length >> 1;
  const targets = [
    `/api/sessions/${id}/messages?token=${token}`,
    `/api/sessions/${id}/messages?%74oken=${token}`,
    `/api/sessions/${id}/messages?${encodeAll('token')}=${encodeAll(token)}`,
    `/api/sessions/${id}/messages?TOKEN=${token}`,
    `/api/sessions/${id}/messages?Token=${token}&token=${token}`,
    `/api/sessions/${id}/messages?token=x&token=${token}`,
    `/api/sessions/${id}/messages?access_token=${token}`,
    `/api/sessions/${id}/messages?t=${token}`,
    `/api/sessions/${id}/messages?token=${token.slice(0, half)}${encodeAll(token.slice(half))}`,
    `/api/sessions/${id}/messages;token=${token}`,
    `/api/sessions/${token}`,
    `/api/sessions/${id}/${encodeAll(token)}`,
    `/stream?id=${id}&token=${token}`,
    `/nope/${token}?x=1`,
    // A token touching other base64url characters, and under names whose values are logged.
    `/api/sessions/${id}/messages?id==${token}`,
    `/api/sessions/${id}/messages?id=x${token}`,
    `/api/sessions/${id}/messages?id=${token}`,
    `/api/sessions/${id}/messages?before=${token}&after=1${token}&format=${token}&epoch=${token}`,
    `/api/sessions/A${token}`,
    `/api/sessions/${id}/A${token}_`,
    `/stream?id=-${token}`,
  ];
  for (const target of targets) {
    await rawRequest(port, requestHead(`GET ${target} HTTP/1.1`, [`Referer: http://127.0.0.1/?token=${token}`]));
  }
  const headers: Array<[string, string]> = [
    ['Referer', `http://127.0.0.1/api/sessions/${id}?token=${token}`],
    ['User-Agent', `agent/${token}`],
    ['Origin', `http://${token}.example`],
    ['X-Forwarded-For', token],
    ['Cookie', `st_${id}=${token}`],
    ['Authorization', `Bearer ${token}`],
    ['Authorization', `Basic ${Buffer.from(`u:${token}`).toString('base64')}`],
  ];
  for (const header of headers) {
    await rawRequest(port, requestHead(`GET /api/sessions/${id}/messages HTTP/1.1`, [header]));
    await rawRequest(port, requestHead(`PROPFIND /api/sessions/${id}?token=${token} HTTP/1.1`, [header]));
  }
}

it('never logs a token or a message body, wherever the token travels', async () => {
  const log = logCapture();
  folder = tempDir();
  server = await startTestServer(folder.dir, { logLevel: 'trace' }, log.stream);
  const { token } = await register(server, 'secret');
  const body = 'the-body-of-a-private-message';

  // The token in the query, in a header and in a cookie; a wrong one too.
  const viaQuery = new TestClient(`${server.wsUrl}/ws/secret?token=${token}`);
  const viaEncodedQuery = new TestClient(`${server.wsUrl}/ws/secret?%74oken=${encodeAll(token)}`);
  const viaHeader = new TestClient(`${server.wsUrl}/ws/secret`, { token, protocol: 'session.v1' });
  await Promise.all([viaQuery.opened, viaEncodedQuery.opened, viaHeader.opened]);
  viaQuery.send(body);
  expect(await viaQuery.next()).toBe(`secret: ${body}`);
  const wrong = new TestClient(`${server.wsUrl}/ws/secret?token=${token}x`);
  await expect(wrong.opened).rejects.toThrow('HTTP 401');
  const refused = new TestClient(`${server.wsUrl}/ws/${token}?token=${token}`, { headers: { origin: `http://${token}.example` } });
  await expect(refused.opened).rejects.toThrow('HTTP 403');
  await sendTokenEverywhere(server.httpPort, 'secret', token);
  await fetch(`${server.httpUrl}/api/sessions/secret/messages`, { headers: { cookie: `st_secret=${token}` } });
  await fetch(`${server.httpUrl}/api/sessions/secret`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  await Promise.all([viaQuery.closed, viaEncodedQuery.closed, viaHeader.closed]);

  const text = log.lines.join('\n');
  expect(log.lines.length).toBeGreaterThan(30);
  expect(text).toContain('token=[Redacted]');
  expect(text).toContain('/api/sessions/[Redacted]');
  expect(text).not.toContain(token);
  expect(text).not.toContain(encodeAll(token.slice(token.length >> 1)));
  expect(text).not.toContain(body);
});

it('logs a harmless name only with a value of its shape, and censors long base64url runs wherever they stand', () => {
  const token = 'a'.repeat(43);
  expect(loggableUrl('/x?id=0101&before=7&after=3&limit=5&offset=0&format=csv&epoch=abc_-1')).toBe(
    '/x?id=0101&before=7&after=3&limit=5&offset=0&format=csv&epoch=abc_-1',
  );
  expect(loggableUrl(`/x?id==${token}&before=1x&format=xml&limit=-1&id=a%20b`)).toBe(
    '/x?id=[Redacted]&before=[Redacted]&format=[Redacted]&limit=[Redacted]&id=[Redacted]',
  );
  for (const line of [`id=x${token}`, `/A${token}`, `%3D${token}`, `"${token}${token}"`, `b${token}.`]) {
    expect(censorTokens(line)).not.toContain(token);
  }
  expect(censorTokens(`/api/sessions/${'a'.repeat(42)}`)).toBe(`/api/sessions/${'a'.repeat(42)}`);
});

it('keeps the values of harmless parameters, and every value of a name it does not know out', async () => {
  const log = logCapture();
  folder = tempDir();
  server = await startTestServer(folder.dir, { logLevel: 'info' }, log.stream);
  await rawRequest(server.httpPort, requestHead('GET /api/sessions/a/messages?before=7&limit=5&q=private+words&x=y HTTP/1.1'));
  expect(log.lines.join('\n')).toContain('"url":"/api/sessions/a/messages?before=7&limit=5&q=[Redacted]&x=[Redacted]"');
});

it('never logs a token in the pretty format either (the built server, as `npm run dev` logs)', async () => {
  folder = tempDir();
  const child = spawn(process.execPath, [resolve(import.meta.dirname, '../../dist/server/main.js')], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      HTTP_PORT: '0',
      WS_PORT: '0',
      DB_PATH: resolve(folder.dir, 'app.db'),
      LOG_LEVEL: 'trace',
      LOG_FORMAT: 'pretty',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ports = new Promise<{ http: number; ws: number }>((done, fail) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening: http:\/\/localhost:(\d+) and ws:\/\/localhost:(\d+)/.exec(output);
      if (match) done({ http: Number(match[1]), ws: Number(match[2]) });
    });
    child.once('exit', (code) => fail(new Error(`server exited (${code}) before listening: ${output}`)));
  });
  const exited = new Promise((done) => child.once('exit', done));
  try {
    const { http, ws } = await ports;
    const { token } = await register({ httpUrl: `http://127.0.0.1:${http}` }, 'pretty');
    const client = new TestClient(`ws://127.0.0.1:${ws}/ws/pretty?%74oken=${token}`);
    await client.opened;
    client.close();
    await client.closed;
    await sendTokenEverywhere(http, 'pretty', token);
    child.kill('SIGTERM');
    await exited;
    expect(output).toContain('[Redacted]');
    expect(output).toMatch(/GET|request/);
    expect(output).not.toContain(token);
  } finally {
    child.kill('SIGKILL');
  }
});
