import type Router from '@koa/router';
import type Koa from 'koa';
import { methodNotAllowed } from '../domain/errors.js';

/** Every path no API route serves is the built app's static files. */
const STATIC_METHODS = ['GET', 'HEAD'];

/**
 * After the routes and the static files, for what neither answered (404 so
 * far), the rules of koa-router's `allowedMethods` with two changes. A path
 * an API route serves, asked with a method none of its routes takes, is 405
 * with `Allow`, and OPTIONS on it is 204 with the same `Allow`: the routes'
 * methods and OPTIONS, which this answers (RFC 9110 §15.5.6: the methods the
 * target resource supports; koa-router leaves OPTIONS out of a 405's). A
 * method the router does not know at all (PROPFIND, TRACE) is 405 with the
 * path's `Allow` too, where koa-router throws 501, which the error mapping
 * turns into a 500 logged as a server fault: it is a client's mistake like
 * any other. Any other request for a path nothing serves stays 404.
 */
export function methodGuard(router: Router): Koa.Middleware {
  const known = new Set(router.methods);
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 404 || ctx.body != null) return;
    const routed = [...new Set(router.match(ctx.path, ctx.method).path.flatMap((layer) => layer.methods))];
    const allowed = [...routed, 'OPTIONS'];
    if (routed.length > 0 && ctx.method === 'OPTIONS') {
      ctx.status = 204;
      ctx.set('Allow', allowed.join(', '));
    } else if (routed.length > 0 && !routed.includes(ctx.method)) {
      throw methodNotAllowed(allowed);
    } else if (!known.has(ctx.method)) {
      throw methodNotAllowed(STATIC_METHODS); // no route here (a routed path took the branch above)
    }
  };
}
