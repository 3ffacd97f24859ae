import type Koa from 'koa';

/**
 * Security headers on every response. The CSP allows scripts and styles from
 * the app's own origin only (Vite's build has no inline script), and
 * WebSocket connections to the same origin and to the WebSocket port.
 */
export function securityHeaders(wsPort: number): Koa.Middleware {
  return async (ctx, next) => {
    const wsOrigins = [`ws://${ctx.hostname}:${wsPort}`, `wss://${ctx.hostname}:${wsPort}`].join(' ');
    ctx.set({
      'Content-Security-Policy': [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        `connect-src 'self' ${wsOrigins}`,
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ].join('; '),
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
    });
    await next();
  };
}
