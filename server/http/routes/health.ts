import Router from '@koa/router';
import { ROUTER_OPTIONS } from '../router-options.js';
import { AppError } from '../../domain/errors.js';
import { hashToken, tokenMatches } from '../../domain/token.js';

export interface HealthDeps {
  isHealthy(): Promise<boolean>;
  isWritable(): Promise<boolean>;
  isDraining(): boolean;
  /** The Prometheus text (cached: see metrics.ts). */
  metricsText(): Promise<{ contentType: string; body: string }>;
  /** Bearer token /metrics requires; empty: public. */
  metricsToken: string;
}

export function healthRoutes({ isHealthy, isWritable, isDraining, metricsText, metricsToken }: HealthDeps): Router {
  const router = new Router(ROUTER_OPTIONS);
  const metricsTokenHash = metricsToken ? hashToken(metricsToken) : null;
  // Liveness: the process answers and the database answers a query.
  router.get('/healthz', async (ctx) => {
    if (!(await isHealthy())) throw new AppError('unhealthy', 'the database does not answer');
    ctx.body = { status: 'ok' };
  });
  // Readiness: send traffic here only if a write commits and shutdown has not begun.
  router.get('/readyz', async (ctx) => {
    if (isDraining()) throw new AppError('draining', 'the server is shutting down');
    if (!(await isWritable())) throw new AppError('not_writable', 'the database does not accept writes');
    ctx.body = { status: 'ready' };
  });

  // Prometheus text format; with METRICS_TOKEN, for its holder only (a failure counts as a failed authentication).
  router.get('/metrics', async (ctx) => {
    if (metricsTokenHash && !tokenMatches(/^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'))?.[1], metricsTokenHash)) {
      throw new AppError('unauthorized', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>', {
        'WWW-Authenticate': 'Bearer realm="metrics"',
      });
    }
    const { contentType, body } = await metricsText();
    ctx.type = contentType;
    ctx.body = body;
  });

  return router;
}
