import type Koa from 'koa';
import { isFailedAuthentication, type AuthFailureLimiter } from '../ip-limits.js';

/** The routes that check a token: a session's resources, and /metrics when METRICS_TOKEN is set. */
const AUTHENTICATED_PATH = /^\/(?:api\/sessions\/[^/]+|metrics$)/;

/**
 * Failed authentications per client IP: each 401, or 404 for an unknown
 * session, counts; past the limit, the IP's requests to authenticated routes
 * are 429 with Retry-After (upgrades count and refuse alike, see ws/hub.ts).
 * Registration has its own limit; static files and probes are never refused.
 */
export function throttleFailedAuth(limiter: AuthFailureLimiter): Koa.Middleware {
  return async (ctx, next) => {
    if (!AUTHENTICATED_PATH.test(ctx.path)) return next();
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
