import type { Server, Socket } from 'node:net';
import { ipKey } from './client-ip.js';
import type { Logger } from './logger.js';

/**
 * MAX_SOCKETS_PER_IP: open TCP connections per peer address over all of
 * `servers` together (idle keep-alive HTTP, requests still arriving and
 * WebSockets alike), so one client cannot take the process's file
 * descriptors. Counted at the 'connection' event, before any byte is parsed:
 * the peer is the socket's own (an IPv6 peer by its /64, see ipKey), never a
 * header, so TRUST_PROXY cannot apply; behind a proxy every client is the
 * proxy. A socket over the cap is destroyed before the HTTP server sees it.
 * 0 disables the cap.
 */
export function capSocketsPerIp(servers: readonly Server[], maxPerIp: number, logger: Logger): void {
  if (maxPerIp === 0) return;
  const open = new Map<string, number>();
  /** Sockets counted once: a declined upgrade is emitted again as a new 'connection' (upgrade-dispatch.ts). */
  const counted = new WeakSet<Socket>();
  /** IPs at the cap already reported, so a flood logs one line per episode. */
  const reported = new Set<string>();
  for (const server of servers) {
    const listeners = server.listeners('connection') as Array<(socket: Socket) => void>;
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => {
      if (!counted.has(socket)) {
        const ip = ipKey(socket.remoteAddress ?? 'unknown');
        const count = open.get(ip) ?? 0;
        if (count >= maxPerIp) {
          if (!reported.has(ip)) logger.warn({ ip, maxSocketsPerIp: maxPerIp }, 'connection refused: too many open sockets from one IP');
          reported.add(ip);
          socket.destroy();
          return;
        }
        counted.add(socket);
        open.set(ip, count + 1);
        socket.once('close', () => {
          const left = open.get(ip)! - 1;
          reported.delete(ip);
          if (left === 0) open.delete(ip);
          else open.set(ip, left);
        });
      }
      for (const listener of listeners) listener.call(server, socket);
    });
  }
}
