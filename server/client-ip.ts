import type { IncomingMessage } from 'node:http';

/** TRUST_PROXY: false, true (trust every X-Forwarded-For entry), or how many proxies are in front. */
export type ProxyTrust = boolean | number;

/** IPv4 peers of a dual-stack listener ("::ffff:10.0.0.1") are written as IPv4, so one client has one key. */
function normalise(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * The client's IP address, the one function every per-IP rule reads
 * (registrations, failed authentications, open WebSockets): HTTP routes
 * through Koa's `ctx.ip`, which createApp points here, and WebSocket upgrades
 * directly. Without proxy trust it is the socket's peer. With it, it is read
 * from X-Forwarded-For as Koa reads it (`app.proxy`, `app.maxIpsCount`):
 * with N proxies in front, the Nth entry from the right, the address the
 * outermost of them saw (entries left of it are the client's own claims);
 * with `true`, the leftmost, which only a proxy that overwrites the header
 * makes trustworthy.
 */
export function createClientIp(trust: ProxyTrust): (req: IncomingMessage) => string {
  return (req) => {
    const peer = req.socket.remoteAddress ?? 'unknown';
    if (trust === false) return normalise(peer);
    const header = [req.headers['x-forwarded-for'] ?? []].flat().join(',');
    let hops = header.split(',').map((entry) => entry.trim()).filter(Boolean);
    if (typeof trust === 'number') hops = hops.slice(-trust);
    return normalise(hops[0] ?? peer);
  };
}
