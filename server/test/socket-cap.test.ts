import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { rawSocketFrom as rawFrom, type RawSocket as Raw } from '../../scripts/abuse/raw-http.js';
import { register, useTestServer } from './harness.js';

const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`;

/**
 * MAX_SOCKETS_PER_IP: open TCP connections per peer IP, both ports together.
 * Every address of 127.0.0.0/8 reaches the server on 127.0.0.1, so a test
 * picks its client's IP with `localAddress`.
 */
describe('open TCP connections per peer IP (MAX_SOCKETS_PER_IP)', () => {
  const t = useTestServer({ maxSocketsPerIp: 6, maxConnectionsPerIp: 4 });

  it('counts idle sockets and WebSockets on both ports together; beyond the cap a new one is closed unanswered; others are not affected', async () => {
    const from = '127.0.0.4';
    const { id, token } = await register(t.server, 'sockets');
    const ws = new WebSocket(`${t.server.wsUrl}/ws/${id}`, { localAddress: from, headers: { authorization: `Bearer ${token}` } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const sockets: Raw[] = [];
    try {
      // 1 WebSocket + 6 idle sockets over the two ports: exactly one is over the cap, whichever the server accepts last.
      for (let i = 0; i < 6; i++) sockets.push(await rawFrom(from, i % 2 === 0 ? t.server.httpPort : t.server.wsPort));
      const first = await Promise.race(sockets.map((s, i) => s.ended.then((end) => ({ i, ...end }))));
      expect(first.answered).toBe(false);
      const kept = sockets.filter((_, i) => i !== first.i);
      // At the cap, an Upgrade offer other than websocket is answered on its socket (counted once, not again when handed back).
      const http = kept.find((s) => s.socket.remotePort === t.server.httpPort)!;
      expect(await http.ask(GET('/healthz', 'Connection: Upgrade\r\nUpgrade: h2c\r\n'))).toBe('HTTP/1.1 200 OK');
      for (const s of kept) {
        const port = s.socket.remotePort === t.server.httpPort ? 'http' : 'ws';
        expect(await s.ask(GET('/healthz')), port).toBe(port === 'http' ? 'HTTP/1.1 200 OK' : 'HTTP/1.1 426 Upgrade Required');
      }
      // Another IP is not affected.
      const other = await rawFrom('127.0.0.5', t.server.httpPort);
      expect(await other.ask(GET('/healthz'))).toBe('HTTP/1.1 200 OK');
      other.socket.destroy();

      // Closing one frees a slot (once the server has seen the close: a bounded number of tries).
      ws.close();
      await new Promise((resolve) => ws.once('close', resolve));
      let status = '';
      for (let attempt = 0; attempt < 50 && status === ''; attempt++) {
        const next = await rawFrom(from, t.server.httpPort);
        status = await next.ask(GET('/healthz')).catch(() => '');
        if (status !== '') sockets.push(next);
      }
      expect(status).toBe('HTTP/1.1 200 OK');
    } finally {
      ws.terminate();
      for (const s of sockets) s.socket.destroy();
    }
  });
});
