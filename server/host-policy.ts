import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { AppError, badRequest } from './domain/errors.js';
import { absoluteAuthority } from './request-target.js';

/** Loopback names: always allowed (no other site can be reached under them, so no DNS rebinding). */
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'] as const;

/** `host[:port]` as in a Host header (RFC 9110 §7.2): no user info, no path. */
const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;

/**
 * The hostname of a Host header or of a configured host, canonical as a
 * browser writes it (lower case, IPv4 dotted, IPv6 compressed in brackets),
 * or null when it is not a hostname with an optional port.
 */
export function canonicalHostname(host: string): string | null {
  const match = HOST_HEADER.exec(host);
  if (!match || (match[2] !== undefined && Number(match[2]) > 65535)) return null;
  try {
    return new URL(`http://${match[1]!}`).hostname;
  } catch {
    return null;
  }
}

/**
 * The hosts the server answers to: loopback always, then ALLOWED_HOSTS, or
 * when that is empty HOST if it names one host (a name or one address, not
 * 0.0.0.0 or ::).
 */
export function allowedHostsFor(configured: readonly string[], listenHost: string): string[] {
  const wildcard = listenHost === '0.0.0.0' || listenHost === '::' || listenHost === '[::]';
  const own = wildcard ? null : canonicalHostname(isIP(listenHost) === 6 ? `[${listenHost}]` : listenHost);
  const extra = configured.length > 0 ? configured : own === null ? [] : [own];
  return [...new Set<string>([...LOOPBACK_HOSTS, ...extra])];
}

/** Throws the refusal of a request whose Host is not one this server answers to. */
export type HostPolicy = (req: IncomingMessage) => void;

/** The values of every Host header as sent (Node keeps only the first in `req.headers`). */
function hostHeaders(req: IncomingMessage): string[] {
  const values: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === 'host') values.push(req.rawHeaders[i + 1]!);
  }
  return values;
}

/**
 * Refuses a request whose host names a host not in `allowedHosts` with 421,
 * and a malformed one with 400, on HTTP and on upgrades alike. A
 * DNS-rebinding page reaches this server under the attacker's name (`Host:
 * attacker.test:8080`) and, being same-origin with itself, would pass the
 * Origin check; its Host gives it away. The port is not compared: rebinding
 * changes the name, and a proxy may publish any port.
 *
 * The request's host is the authority of an absolute-form target when there
 * is one, else the Host header (RFC 9112 §3.2.2). Also 400, as RFC 9112 §3.2
 * says: an HTTP/1.1 request without Host, and any request with more than one
 * (Node would answer the first with an empty body and the second as if it
 * had one). An HTTP/1.0 request without Host passes (no browser sends one).
 */
export function createHostPolicy(allowedHosts: readonly string[]): HostPolicy {
  const allowed = new Set(allowedHosts);
  return (req) => {
    const headers = hostHeaders(req);
    if (headers.length > 1) throw badRequest('bad_request', 'a request carries exactly one Host header (RFC 9112 §3.2)');
    const host = absoluteAuthority(req.url) ?? headers[0];
    if (host === undefined) {
      if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) return;
      throw badRequest('bad_request', 'an HTTP/1.1 request needs a Host header (RFC 9112 §3.2)');
    }
    const hostname = canonicalHostname(host);
    if (hostname === null) throw badRequest('bad_request', 'the Host header (or the target\'s authority) is not a host name with an optional port');
    if (!allowed.has(hostname)) {
      throw new AppError('host_not_allowed', `this server does not answer to the host "${hostname}"; see ALLOWED_HOSTS`);
    }
  };
}
