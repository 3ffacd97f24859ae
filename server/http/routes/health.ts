import Router from '@koa/router';
import { AppError } from '../../domain/errors.js';

export function healthRoutes({ isHealthy }: { isHealthy(): boolean }): Router {
  const router = new Router();
  // Liveness: the process answers and the database answers a query.
  router.get('/healthz', (ctx) => {
    if (!isHealthy()) throw new AppError(503, 'unhealthy', 'the database does not answer');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  return router;
}
