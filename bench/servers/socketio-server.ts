/**
 * What the Socket.IO peers (d) and (e) share: a Socket.IO 4 server on the
 * websocket transport only (no long-polling, no client bundle served, no
 * compression), whose "message" event is echoed to its sender as
 * "<ID>: <text>", the ID from the handshake query's `session`; nothing is
 * stored and there is no auth. Engine.IO's heartbeat is Socket.IO's default
 * (25 s) unless SIO_PING_INTERVAL_MS / SIO_PING_TIMEOUT_MS say otherwise (the
 * smoke run shortens it so the generator's pong is exercised). Prints
 * {"port":N} when listening; SIGTERM/SIGINT stop it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type ServerOptions } from 'socket.io';

const envMs = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);

export function startSocketIoEcho(extra: Partial<ServerOptions>): void {
  const http = createServer();
  const pingInterval = envMs('SIO_PING_INTERVAL_MS');
  const pingTimeout = envMs('SIO_PING_TIMEOUT_MS');
  const io = new Server(http, {
    transports: ['websocket'],
    serveClient: false,
    perMessageDeflate: false,
    maxHttpBufferSize: 64 * 1024,
    ...(pingInterval ? { pingInterval } : {}),
    ...(pingTimeout ? { pingTimeout } : {}),
    ...extra,
  });
  io.on('connection', (socket) => {
    const id = String(socket.handshake.query.session ?? '');
    socket.on('message', (text: unknown) => {
      if (typeof text !== 'string') return void socket.disconnect(true);
      socket.emit('message', `${id}: ${text}`);
    });
  });
  http.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (http.address() as AddressInfo).port })}\n`);
  });
  // Open sockets die with the process: nothing here needs flushing.
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
