import type { IncomingMessage } from 'node:http';

export interface OriginPolicyOptions {
  /** Exact origins allowed besides the app's own (see below). */
  allowedOrigins: readonly string[];
  /** The hosts this server answers to (ALLOWED_HOSTS and loopback), canonical. */
  allowedHosts: readonly string[];
  /** The HTTP port as bound (known only after listening when configured as 0). */
  httpPort(): number;
  /** The Vite dev server's port when its pages count as the app's own (DEV_ORIGINS), else null. */
  devPort: number | null;
  /** Behind a TLS proxy (TRUST_PROXY): the app is also served as https on the default port. */
  behindProxy: boolean;
}

export type OriginPolicy = (req: IncomingMessage) => boolean;

/**
 * The app's own origins: each allowed host on HTTP_PORT, on the Vite dev
 * port in development, and as https behind a TLS proxy. Derived from
 * configuration only, never from a request's Host (a DNS-rebinding page
 * chooses its Host, and would be its own origin).
 */
function ownOrigins({ allowedHosts, devPort, behindProxy }: OriginPolicyOptions, httpPort: number): string[] {
  const origins = allowedHosts.flatMap((host) => [
    `http://${host}:${httpPort}`,
    ...(devPort === null ? [] : [`http://${host}:${devPort}`]),
    ...(behindProxy ? [`https://${host}`] : []),
  ]);
  // As a browser serialises them: no default port.
  return origins.map((origin) => new URL(origin).origin);
}

/**
 * Decides whether a request's Origin may act (open a WebSocket, POST,
 * DELETE). No Origin header (curl, Python, server-to-server) passes: those
 * clients still need the token. Origins are compared as exact strings, never
 * by prefix or substring: the app's own (`ownOrigins`, always: they come from
 * configuration only, so setting ALLOWED_ORIGINS never locks the bundled app
 * out) and those of ALLOWED_ORIGINS.
 */
export function createOriginPolicy(options: OriginPolicyOptions): OriginPolicy {
  let fixedFor = -1;
  let allowed = new Set<string>();
  return (req) => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    const port = options.httpPort();
    if (port !== fixedFor) {
      allowed = new Set([...ownOrigins(options, port), ...options.allowedOrigins]);
      fixedFor = port;
    }
    return allowed.has(origin);
  };
}
