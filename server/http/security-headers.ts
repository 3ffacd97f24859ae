import type Koa from 'koa';

/**
 * Security headers on every response. The CSP allows scripts and styles from
 * the app's own origin only (Vite's build has no inline script), and
 * WebSocket connections to the same origin and to the WebSocket port on each
 * allowed host. It is built from configuration and the bound port only, never
 * from request text (a Host header once went into it unescaped).
 */
export function securityHeaders(wsPort: () => number, allowedHosts: readonly string[]): Koa.Middleware {
  // A CSP host-source has no IPv6 literal form; the app itself connects to its own origin ('self').
  const named = allowedHosts.filter((host) => !host.startsWith('['));
  const contentSecurityPolicy = (port: number) =>
    [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      ['connect-src', "'self'", ...named.flatMap((host) => [`ws://${host}:${port}`, `wss://${host}:${port}`])].join(' '),
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; ');
  // The port is known once the WebSocket server listens, before any request.
  let builtFor = -1;
  let csp = '';
  return async (ctx, next) => {
    if (wsPort() !== builtFor) {
      builtFor = wsPort();
      csp = contentSecurityPolicy(builtFor);
    }
    ctx.set('Content-Security-Policy', csp);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    await next();
  };
}
