import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { rawSocketFrom as rawFrom, type RawSocket as Raw } from '../../scripts/abuse/raw-http.js';
import { register, startTestServer, tempDir, type TestServer } from './harness.js';
import { logCapture } from './log-capture.js';

const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`;

/**
 * MAX_SOCKETS_PER_IP: open TCP connections per peer IP, both ports together.
 * Every address of 127.0.0.0/8 reaches the server on 127.0.0.1, so a test
 * picks its client's IP with `localAddress`.
 */
describe('open TCP connections per peer IP (MAX_SOCKETS_PER_IP)', () => {
  const log = logCapture();
  let server: TestServer;
  let folder: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    folder = tempDir();
    server = await startTestServer(folder.dir, { maxSocketsPerIp: 6, maxConnectionsPerIp: 4, logLevel: 'info' }, log.stream);
  });
  afterAll(async () => {
    await server?.close();
    folder?.remove();
  });

  it('counts idle sockets and WebSockets on both ports together; beyond the cap a new one is closed unanswered; others are not affected', async () => {
    const from = '127.0.0.4';
    const { id, token } = await register(server, 'sockets');
    const ws = new WebSocket(`${server.wsUrl}/ws/${id}`, { localAddress: from, headers: { authorization: `Bearer ${token}` } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const sockets: Raw[] = [];
    try {
      // 1 WebSocket + 6 idle sockets over the two ports: exactly one is over the cap, whichever the server accepts last.
      for (let i = 0; i < 6; i++) sockets.push(await rawFrom(from, i % 2 === 0 ? server.httpPort : server.wsPort));
      const first = await Promise.race(sockets.map((s, i) => s.ended.then((end) => ({ i, ...end }))));
      expect(first.answered).toBe(false);
      const kept = sockets.filter((_, i) => i !== first.i);
      // At the cap, an Upgrade offer other than websocket is answered on its socket (counted once, not again when handed back).
      const http = kept.find((s) => s.socket.remotePort === server.httpPort)!;
      expect(await http.ask(GET('/healthz', 'Connection: Upgrade\r\nUpgrade: h2c\r\n'))).toBe('HTTP/1.1 200 OK');
      for (const s of kept) {
        const port = s.socket.remotePort === server.httpPort ? 'http' : 'ws';
        expect(await s.ask(GET('/healthz')), port).toBe(port === 'http' ? 'HTTP/1.1 200 OK' : 'HTTP/1.1 426 Upgrade Required');
      }
      // Another IP is not affected.
      const other = await rawFrom('127.0.0.5', server.httpPort);
      expect(await other.ask(GET('/healthz'))).toBe('HTTP/1.1 200 OK');
      other.socket.destroy();

      // Closing one frees a slot, once the server has seen its socket close (the hub logs 'closed' after that).
      ws.close();
      await log.line((entry) => entry.msg === 'closed' && entry.session === id);
      const next = await rawFrom(from, server.httpPort);
      sockets.push(next);
      expect(await next.ask(GET('/healthz'))).toBe('HTTP/1.1 200 OK');
    } finally {
      ws.terminate();
      for (const s of sockets) s.socket.destroy();
    }
  });
});
