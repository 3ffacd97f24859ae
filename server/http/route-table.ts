import type Router from '@koa/router';

/** A route as the routers hold it: one method and the koa path (`/api/sessions/:id`). */
export interface RouteEntry {
  method: string;
  path: string;
}

/** Every route of `router` (its nested routers' included), HEAD left out: koa-router adds it to every GET. */
export function routeTable(router: Router): RouteEntry[] {
  return router.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((method) => ({ method, path: String(layer.path) })));
}
