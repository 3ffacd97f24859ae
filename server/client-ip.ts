import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** TRUST_PROXY: false, true (trust every X-Forwarded-For entry), or how many proxies are in front. */
export type ProxyTrust = boolean | number;

/**
 * The key of an address in per-IP limits. IPv4 peers of a dual-stack
 * listener ("::ffff:10.0.0.1") are written as IPv4, so one client has one
 * key. An IPv6 address is keyed by its /64 prefix ("2001:db8:0:1::/64"): one
 * subscriber is given at least a /64 (RFC 6177) and can pick any address in
 * it, so per address it would have 2^64 keys. Anything else is its own key.
 */
export function ipKey(address: string): string {
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  if (isIP(address.split('%')[0]!) !== 6) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':')).flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const [before, after] = [groups(head), groups(tail)];
  const all = [...before, ...Array<string>(8 - before.length - after.length).fill('0'), ...after];
  // Written as URL writes an address (RFC 5952: lower case, zeros compressed), so one prefix has one key.
  return `${new URL(`http://[${all.slice(0, 4).join(':')}::]`).hostname.slice(1, -1)}/64`;
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
 * makes trustworthy. Returned as its ipKey (an IPv6 client as its /64).
 */
export function createClientIp(trust: ProxyTrust): (req: IncomingMessage) => string {
  return (req) => {
    const peer = req.socket.remoteAddress ?? 'unknown';
    if (trust === false) return ipKey(peer);
    const header = [req.headers['x-forwarded-for'] ?? []].flat().join(',');
    let hops = header.split(',').map((entry) => entry.trim()).filter(Boolean);
    if (typeof trust === 'number') hops = hops.slice(-trust);
    return ipKey(hops[0] ?? peer);
  };
}
