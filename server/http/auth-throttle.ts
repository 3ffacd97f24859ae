import type Router from '@koa/router';
import type Koa from 'koa';
import type { AuthFailureLimiter } from '../ip-limits.js';

/** The route patterns that check a token: a session's resources, and /metrics when METRICS_TOKEN is set. */
const AUTHENTICATED_ROUTE = /^\/(?:api\/sessions\/:id(?:\/|$)|metrics$)/;

/**
 * Failed authentications per client IP: each 401, or 404 for an unknown
 * session, counts; past the limit, the IP's requests to authenticated routes
 * are 429 with Retry-After (upgrades count and refuse alike, see ws/hub.ts).
 * Registration has its own limit; static files and probes are never refused.
 * A request is throttled when `router` routes it to an authenticated route,
 * by the router's own match, so no spelling of a path can reach a route
 * without passing here.
 */
export function throttleFailedAuth(limiter: AuthFailureLimiter, router: Router): Koa.Middleware {
  return async (ctx, next) => {
    // Routes match case-sensitively and strictly (ROUTER_OPTIONS), so a path outside these prefixes
    // cannot be an authenticated route: static files and probes skip the router match.
    if (!ctx.path.startsWith('/api/sessions/') && ctx.path !== '/metrics') return next();
    const { pathAndMethod } = router.match(ctx.path, ctx.method);
    if (!pathAndMethod.some((layer) => AUTHENTICATED_ROUTE.test(String(layer.path)))) return next();
    await limiter.guard(ctx.ip, next);
  };
}
