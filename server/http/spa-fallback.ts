import type Koa from 'koa';

/** The app's own routes (web/src/session/router.ts): `/s/<ID>` opens a session. */
const APP_ROUTE = /^\/s\/[^/]+\/?$/;

/**
 * Serves the app's index.html for its client-side routes, so a deep link or
 * a reload of `/s/<ID>` loads the app, which opens the session. Put it
 * before the static files: it only rewrites the path they look up.
 */
export function spaFallback(): Koa.Middleware {
  return async (ctx, next) => {
    if ((ctx.method === 'GET' || ctx.method === 'HEAD') && APP_ROUTE.test(ctx.path)) ctx.path = '/index.html';
    await next();
  };
}
