import type { IncomingMessage } from 'node:http';

/** What a client IP is read from: a Koa context (HTTP) or the request of a WebSocket upgrade. */
export type ClientIpSource = { readonly ip: string } | IncomingMessage;

/**
 * The client's IP address, the key of every per-IP limit (registrations,
 * failed authentications, open WebSockets), the same for HTTP requests and
 * WebSocket upgrades: Koa's `ctx.ip` over HTTP, the socket's peer address on
 * an upgrade. IPv4 peers of a dual-stack listener ("::ffff:10.0.0.1") are
 * written as IPv4, so one client has one key on both paths.
 */
export function clientIp(from: ClientIpSource): string {
  const address = 'ip' in from ? from.ip : from.socket.remoteAddress;
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
