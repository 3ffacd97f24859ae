import Router from '@koa/router';
import { AppError } from '../../domain/errors.js';

export interface HealthDeps {
  isHealthy(): boolean;
  isWritable(): boolean;
  isDraining(): boolean;
  metricsText(): Promise<{ contentType: string; body: string }>;
}

export function healthRoutes({ isHealthy, isWritable, isDraining, metricsText }: HealthDeps): Router {
  const router = new Router();
  // Liveness: the process answers and the database answers a query.
  router.get('/healthz', (ctx) => {
    if (!isHealthy()) throw new AppError(503, 'unhealthy', 'the database does not answer');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  // Readiness: send traffic here only if a write commits and shutdown has not begun.
  router.get('/readyz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (isDraining()) throw new AppError(503, 'draining', 'the server is shutting down');
    if (!isWritable()) throw new AppError(503, 'not_writable', 'the database does not accept writes');
    ctx.body = { status: 'ready' };
  });

  // Prometheus text format.
  router.get('/metrics', async (ctx) => {
    const { contentType, body } = await metricsText();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = contentType;
    ctx.body = body;
  });

  return router;
}
