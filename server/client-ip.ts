import type { IncomingMessage } from 'node:http';

/** TRUST_PROXY: false, true (trust every X-Forwarded-For entry), or how many proxies are in front. */
export type ProxyTrust = boolean | number;

/**
 * The client's IP address, the one function every per-IP rule reads (HTTP
 * routes through Koa's `ctx.ip`, which createApp points here, and WebSocket
 * upgrades). Without proxy trust it is the socket's peer. With it, it is read
 * from X-Forwarded-For as Koa reads it (`app.proxy`, `app.maxIpsCount`):
 * with N proxies in front, the Nth entry from the right, the address the
 * outermost of them saw (entries left of it are the client's own claims);
 * with `true`, the leftmost, which only a proxy that overwrites the header
 * makes trustworthy.
 */
export function createClientIp(trust: ProxyTrust): (req: IncomingMessage) => string {
  return (req) => {
    const peer = req.socket.remoteAddress ?? '';
    if (trust === false) return peer;
    const header = [req.headers['x-forwarded-for'] ?? []].flat().join(',');
    let hops = header.split(',').map((entry) => entry.trim()).filter(Boolean);
    if (typeof trust === 'number') hops = hops.slice(-trust);
    return hops[0] ?? peer;
  };
}
