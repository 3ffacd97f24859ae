import Router from '@koa/router';
import Koa from 'koa';
import serve from 'koa-static';
import { redactUrl, type Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import type { SessionRecord } from '../store/session-repo.js';
import { errorMiddleware } from './errors.js';
import { healthRoutes } from './routes/health.js';
import { messageRoutes } from './routes/messages.js';
import { sessionRoutes } from './routes/sessions.js';
import { securityHeaders } from './security-headers.js';

export interface AppDeps {
  store: Store;
  logger: Logger;
  /** Folder of the built SPA; missing is fine (API only). */
  staticDir: string;
  wsPort: number;
  maxBodyBytes: number;
  deleteSession(session: SessionRecord): void;
}

export function createApp({ store, logger, staticDir, wsPort, maxBodyBytes, deleteSession }: AppDeps): Koa {
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
      logger.info(
        { method: ctx.method, url: redactUrl(ctx.url), status: ctx.status, ms: +(performance.now() - started).toFixed(2) },
        'request',
      );
    }
  });
  app.use(errorMiddleware());
  app.use(securityHeaders(wsPort));

  const router = new Router();
  router.use(healthRoutes(store).routes());
  router.use(sessionRoutes({ sessions: store.sessions, maxBodyBytes, deleteSession }).routes());
  router.use(messageRoutes({ sessions: store.sessions, messages: store.messages }).routes());
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));

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
