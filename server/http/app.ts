import Router from '@koa/router';
import Koa from 'koa';
import serve from 'koa-static';
import { AppError } from '../domain/errors.js';
import { redactUrl, type Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { OriginPolicy } from '../origin-policy.js';
import type { Store } from '../store/index.js';
import type { SessionRecord } from '../store/session-repo.js';
import { errorMiddleware } from './errors.js';
import { exportRoutes } from './routes/export.js';
import { healthRoutes } from './routes/health.js';
import { messageRoutes } from './routes/messages.js';
import { searchRoutes } from './routes/search.js';
import { sessionSettingsRoutes } from './routes/session-settings.js';
import { sessionRoutes } from './routes/sessions.js';
import { securityHeaders } from './security-headers.js';
import { spaFallback } from './spa-fallback.js';

export interface AppDeps {
  store: Store;
  logger: Logger;
  /** Folder of the built SPA; missing is fine (API only). */
  staticDir: string;
  /** The WebSocket port as bound (the CSP allows connections to it). */
  wsPort(): number;
  maxBodyBytes: number;
  /** Registrations per minute per client IP; 0: unlimited. */
  registerRateLimit: number;
  originAllowed: OriginPolicy;
  metrics: Metrics;
  isDraining(): boolean;
  retentionDefaults: { maxAgeMs: number; maxMessages: number };
  deleteSession(session: SessionRecord): void;
}

export function createApp(deps: AppDeps): Koa {
  const { store, logger, staticDir, wsPort, maxBodyBytes, registerRateLimit, originAllowed, metrics, deleteSession } = deps;
  const app = new Koa();
  app.proxy = false;

  app.on('error', (err: unknown, ctx?: Koa.Context) => {
    logger.error({ err, method: ctx?.method, url: redactUrl(ctx?.url) }, 'request failed');
  });

  app.use(async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const ms = performance.now() - started;
      // The route pattern, never the raw path, keeps the label set small.
      const route = ctx._matchedRoute === undefined ? (ctx.status < 400 ? 'static' : 'unmatched') : String(ctx._matchedRoute);
      metrics.httpRequest(ctx.method, route, ctx.status);
      logger.info({ method: ctx.method, url: redactUrl(ctx.url), route, status: ctx.status, ms: +ms.toFixed(2) }, 'request');
    }
  });
  app.use(errorMiddleware());
  app.use(securityHeaders(wsPort));
  // Cross-site request forgery: a browser request from a foreign page is refused outright.
  app.use(async (ctx, next) => {
    if (!originAllowed(ctx.req)) throw new AppError(403, 'origin_not_allowed', `origin ${ctx.get('origin')} is not allowed`);
    await next();
  });

  const router = new Router();
  router.use(
    healthRoutes({
      isHealthy: store.isHealthy,
      isWritable: store.isWritable,
      isDraining: deps.isDraining,
      metricsText: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    }).routes(),
  );
  router.use(sessionRoutes({ sessions: store.sessions, maxBodyBytes, registerRateLimit, deleteSession }).routes());
  router.use(
    sessionSettingsRoutes({ sessions: store.sessions, messages: store.messages, maxBodyBytes, retentionDefaults: deps.retentionDefaults }).routes(),
  );
  router.use(messageRoutes({ sessions: store.sessions, messages: store.messages }).routes());
  router.use(searchRoutes({ sessions: store.sessions, search: store.search }).routes());
  router.use(exportRoutes({ sessions: store.sessions, messages: store.messages }).routes());
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));

  app.use(spaFallback());
  app.use(
    serve(staticDir, {
      index: 'index.html',
      // Vite fingerprints everything under assets/, so it never changes.
      setHeaders: (res, path) => {
        res.setHeader('Cache-Control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    }),
  );
  return app;
}
