import type Koa from 'koa';

/**
 * Security headers on every response. The CSP allows scripts and styles from
 * the app's own origin only (Vite's build has no inline script), and
 * WebSocket connections to the same origin and to the WebSocket port.
 */
export function securityHeaders(wsPort: () => number): Koa.Middleware {
  const contentSecurityPolicy = (hostname: string) =>
    [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      `connect-src 'self' ws://${hostname}:${wsPort()} wss://${hostname}:${wsPort()}`,
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; ');
  // The policy depends only on the host a client used; a few hosts at most, so keep each once.
  const byHost = new Map<string, string>();
  return async (ctx, next) => {
    let csp = byHost.get(ctx.hostname);
    if (csp === undefined) {
      csp = contentSecurityPolicy(ctx.hostname);
      if (byHost.size < 64) byHost.set(ctx.hostname, csp);
    }
    ctx.set('Content-Security-Policy', csp);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    await next();
  };
}
