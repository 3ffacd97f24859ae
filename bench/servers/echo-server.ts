/**
 * What the reference servers (b) and (c) share: a `ws` server on /ws/{ID}
 * with no auth, text frames only, printing {"port":N} when listening and
 * stopping on SIGTERM/SIGINT. Each variant supplies what it does with a text
 * message: its echo is "<ID>: <text>", as the real server's.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

function sessionIdOf(req: IncomingMessage): string {
  const path = (req.url ?? '/').split('?', 1)[0]!;
  return decodeURIComponent(path.startsWith('/ws/') ? path.slice(4) : path.slice(1));
}

export function startEchoServer(onText: (ws: WebSocket, sessionId: string, body: string) => void, onStop: () => void = () => undefined): void {
  const wss = new WebSocketServer({
    host: process.env.HOST ?? '127.0.0.1',
    port: Number(process.env.PORT ?? 0),
    perMessageDeflate: false,
    clientTracking: false,
    maxPayload: 64 * 1024,
  });
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const id = sessionIdOf(req);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003, 'text only');
      onText(ws, id, (data as Buffer).toString('utf8'));
    });
    ws.on('error', () => ws.terminate());
  });
  wss.on('listening', () => {
    process.stdout.write(`${JSON.stringify({ port: (wss.address() as AddressInfo).port })}\n`);
  });
  const stop = () => {
    onStop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
