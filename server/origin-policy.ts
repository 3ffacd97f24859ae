import type { IncomingMessage } from 'node:http';

/** Port of the Vite dev server, whose pages are the app's own too. */
export const VITE_DEV_PORT = 5173;

export interface OriginPolicyOptions {
  /** Exact origins; empty means the app's own (see below). */
  allowedOrigins: readonly string[];
  /** The HTTP port as bound (known only after listening when configured as 0). */
  httpPort(): number;
}

export type OriginPolicy = (req: IncomingMessage) => boolean;

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Decides whether a request's Origin may act (open a WebSocket, POST,
 * DELETE). No Origin header (curl, Python, server-to-server) passes: those
 * clients still need the token. Origins are compared as exact strings, never
 * by prefix or substring.
 *
 * The app's own origins, by default: the page's origin on HTTP_PORT for the
 * host the request was sent to (so `http://myhost:8080` may open
 * `ws://myhost:8765`), the same on loopback, and the Vite dev server's.
 * Behind a TLS proxy the page's origin is the proxy's: list it in
 * ALLOWED_ORIGINS.
 */
export function createOriginPolicy({ allowedOrigins, httpPort }: OriginPolicyOptions): OriginPolicy {
  if (allowedOrigins.length > 0) {
    const allowed = new Set(allowedOrigins);
    return (req) => req.headers.origin === undefined || allowed.has(req.headers.origin);
  }
  let fixedFor = -1;
  let fixed = new Set<string>();
  return (req) => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    const port = httpPort();
    if (port !== fixedFor) {
      fixed = new Set(LOOPBACK_HOSTS.flatMap((host) => [port, VITE_DEV_PORT].map((p) => `http://${host}:${p}`)));
      fixedFor = port;
    }
    if (fixed.has(origin)) return true;
    const hostname = hostnameOf(req.headers.host);
    return hostname !== null && origin === `http://${hostname}:${port}`;
  };
}

/** The hostname part of a Host header ("[::1]:8765" -> "[::1]"), or null when malformed. */
function hostnameOf(host: string | undefined): string | null {
  if (!host) return null;
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/.exec(host);
  return match ? match[1]!.toLowerCase() : null;
}
