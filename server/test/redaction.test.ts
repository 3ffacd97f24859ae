import { Writable } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { register, startTestServer, tempDir, TestClient, type TestServer } from './harness.js';

let server: TestServer | undefined;
let folder: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await server?.close();
  folder?.remove();
});

it('never logs a token or a message body, wherever the token travels', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  folder = tempDir();
  server = await startTestServer(folder.dir, { logLevel: 'trace' }, sink);
  const { token } = await register(server, 'secret');
  const body = 'the-body-of-a-private-message';

  // The token in the query, in a header and in a cookie; a wrong one too.
  const viaQuery = new TestClient(`${server.wsUrl}/ws/secret?token=${token}`);
  const viaHeader = new TestClient(`${server.wsUrl}/ws/secret`, { token, protocol: 'session.v1' });
  await Promise.all([viaQuery.opened, viaHeader.opened]);
  viaQuery.send(body);
  expect(await viaQuery.next()).toBe(`secret: ${body}`);
  const wrong = new TestClient(`${server.wsUrl}/ws/secret?token=${token}x`);
  await expect(wrong.opened).rejects.toThrow('HTTP 401');
  await fetch(`${server.httpUrl}/api/sessions/secret/messages?token=${token}`);
  await fetch(`${server.httpUrl}/api/sessions/secret/messages`, { headers: { cookie: `st_secret=${token}` } });
  await fetch(`${server.httpUrl}/api/sessions/secret`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  await Promise.all([viaQuery.closed, viaHeader.closed]);

  const log = lines.join('\n');
  expect(lines.length).toBeGreaterThan(5);
  expect(log).toContain('token=[Redacted]');
  expect(log).not.toContain(token);
  expect(log).not.toContain(body);
});
