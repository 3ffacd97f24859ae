import type Router from '@koa/router';
import type Koa from 'koa';
import { isFailedAuthentication, type AuthFailureLimiter } from '../ip-limits.js';

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
    const { pathAndMethod } = router.match(ctx.path, ctx.method);
    if (!pathAndMethod.some((layer) => AUTHENTICATED_ROUTE.test(String(layer.path)))) return next();
    const ip = ctx.ip;
    await limiter.check(ip);
    try {
      await next();
    } catch (err) {
      if (isFailedAuthentication(err)) await limiter.failed(ip);
      throw err;
    }
  };
}
