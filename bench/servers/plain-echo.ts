/**
 * Benchmark variant (b), the ceiling: a plain `ws` server that echoes each
 * text frame as "<ID>: <text>" on /ws/{ID}, with no auth and no persistence.
 * Prints {"port":N} when listening; SIGTERM/SIGINT stop it.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

function sessionIdOf(req: IncomingMessage): string {
  const path = (req.url ?? '/').split('?', 1)[0]!;
  return decodeURIComponent(path.startsWith('/ws/') ? path.slice(4) : path.slice(1));
}

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
    ws.send(`${id}: ${(data as Buffer).toString('utf8')}`);
  });
  ws.on('error', () => ws.terminate());
});

wss.on('listening', () => {
  process.stdout.write(`${JSON.stringify({ port: (wss.address() as AddressInfo).port })}\n`);
});

// Open sockets die with the process: nothing here needs flushing.
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
