import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { basename } from 'node:path';
import Router from '@koa/router';
import Koa from 'koa';
import serve from 'koa-static';
import type { ProxyTrust } from '../client-ip.js';
import { AppError, badRequest, notFound } from '../domain/errors.js';
import type { HostPolicy } from '../host-policy.js';
import { loggableUrl, type Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { OriginPolicy } from '../origin-policy.js';
import type { AuthFailureLimiter, RegistrationLimiter } from '../ip-limits.js';
import { originForm } from '../request-target.js';
import type { Store } from '../domain/ports.js';
import type { DeploymentRetention } from '../domain/retention-policy.js';
import type { SessionService } from '../domain/session-service.js';
import { throttleFailedAuth } from './auth-throttle.js';
import { logLevelOf } from './log-level.js';
import { toAppError } from './to-app-error.js';
import { errorMiddleware } from './errors.js';
import { methodGuard } from './methods.js';
import { routeTable, type RouteEntry } from './route-table.js';
import { ROUTER_OPTIONS } from './router-options.js';
import { exportRoutes } from './routes/export.js';
import { healthRoutes } from './routes/health.js';
import { messageRoutes } from './routes/messages.js';
import { searchRoutes } from './routes/search.js';
import { sessionSettingsRoutes } from './routes/session-settings.js';
import { sessionRoutes } from './routes/sessions.js';
import { securityHeaders } from './security-headers.js';
import { spaFallback } from './spa-fallback.js';

export interface AppDeps {
  store: Pick<Store, 'messages' | 'search' | 'health'>;
  sessions: SessionService;
  logger: Logger;
  /** Folder of the built SPA; missing is fine (API only). */
  staticDir: string;
  /** The WebSocket port as bound (the CSP allows connections to it). */
  wsPort(): number;
  maxBodyBytes: number;
  /** Registration attempts per client IP (REGISTER_RATE_LIMIT). */
  registrations: RegistrationLimiter;
  /** Failed authentications per client IP, shared with the WebSocket upgrades. */
  authFailures: AuthFailureLimiter;
  /** Bearer token GET /metrics requires; empty: public. */
  metricsToken: string;
  originAllowed: OriginPolicy;
  metrics: Metrics;
  isDraining(): boolean;
  retentionDefaults: DeploymentRetention;
  /** Refuses a request whose Host this server does not answer to (421) or cannot read (400). */
  hostAllowed: HostPolicy;
  /** The allowed hosts: the CSP names the WebSocket port on each (configuration, never request text). */
  allowedHosts: readonly string[];
  /** TRUST_PROXY: X-Forwarded-Proto makes `ctx.secure` (and the cookie Secure). */
  trustProxy: ProxyTrust;
  /** The client-IP function upgrades use too; `ctx.ip` answers with it. */
  clientIp(req: IncomingMessage): string;
  /** Serve the built app's source maps (`.map`); off, they are 404. */
  serveSourceMaps: boolean;
  /** LEGACY_OPEN_SESSIONS: GET /stream answers the allowed origins' cross-origin fetch (CORS). */
  legacyOpenSessions: boolean;
}

/** The Koa app and the routes its routers registered (the OpenAPI document and its test read them). */
export type App = Koa & { routes(): RouteEntry[] };

/** Errors of a response stream whose socket the peer closed first (Node's stream and socket codes). */
const CLIENT_GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

export function createApp(deps: AppDeps): App {
  const { store, sessions, logger, staticDir, wsPort, maxBodyBytes, originAllowed, metrics } = deps;
  const app = new Koa();
  app.proxy = deps.trustProxy !== false;
  app.maxIpsCount = typeof deps.trustProxy === 'number' ? deps.trustProxy : 0;
  // One client-IP rule for HTTP and upgrades: per-IP limits must not see two answers.
  Object.defineProperty(app.request, 'ip', {
    get(this: Koa.Request) {
      return deps.clientIp(this.req);
    },
  });

  // Only a fault of the server's own is an error with a stack (log-level.ts).
  app.on('error', (err: unknown, ctx?: Koa.Context) => {
    // The client went away while its answer was being written (a tab closed, curl done with it): no fault of ours.
    if (ctx?.headerSent && CLIENT_GONE.has((err as { code?: unknown }).code as string)) {
      logger.info({ method: ctx.method, url: loggableUrl(ctx.url), reason: (err as Error).message }, 'response cut short by the client');
      return;
    }
    const refusal = toAppError(err);
    const level = logLevelOf(refusal);
    const where = { method: ctx?.method, url: loggableUrl(ctx?.url), code: refusal.code };
    if (level === 'error') logger.error({ ...where, err }, 'request failed');
    else logger[level]({ ...where, reason: err instanceof Error ? err.message : refusal.message }, 'request refused');
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
      logger.info({ method: ctx.method, url: loggableUrl(ctx.url), route, status: ctx.status, ms: +ms.toFixed(2) }, 'request');
    }
  });
  app.use(errorMiddleware());
  app.use(securityHeaders(wsPort, deps.allowedHosts));
  // Answers that carry tokens or history are never stored by a cache; static files set their own.
  app.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  // A DNS-rebinding page comes under its own Host; nothing answers it. Before the origin form
  // below: an absolute-form target's authority is the request's host (RFC 9112 §3.2.2).
  app.use(async (ctx, next) => {
    deps.hostAllowed(ctx.req);
    await next();
  });
  // Koa reads ctx.path with url.parse, which throws on or misreads an absolute-form target: give it the origin form.
  app.use(async (ctx, next) => {
    const target = originForm(ctx.url);
    if (target === null) throw badRequest('bad_request', 'the request-target must be a path like /api/sessions');
    ctx.url = target;
    await next();
  });
  // Cross-site request forgery: a browser request from a foreign page is refused outright.
  app.use(async (ctx, next) => {
    if (!originAllowed(ctx.req)) throw new AppError('origin_not_allowed', `origin ${ctx.get('origin')} is not allowed`);
    await next();
  });
  const router = new Router(ROUTER_OPTIONS);
  app.use(throttleFailedAuth(deps.authFailures, router));

  router.use(
    healthRoutes({
      isHealthy: store.health.isHealthy,
      isWritable: store.health.isWritable,
      isDraining: deps.isDraining,
      metricsText: metrics.render,
      metricsToken: deps.metricsToken,
    }).routes(),
  );
  router.use(
    sessionRoutes({ sessions, maxBodyBytes, registrations: deps.registrations, authFailures: deps.authFailures, streamCors: deps.legacyOpenSessions ? originAllowed : null }).routes(),
  );
  router.use(sessionSettingsRoutes({ sessions, messages: store.messages, maxBodyBytes, retentionDefaults: deps.retentionDefaults }).routes());
  router.use(messageRoutes({ sessions, messages: store.messages }).routes());
  router.use(searchRoutes({ sessions, search: store.search }).routes());
  router.use(exportRoutes({ sessions, messages: store.messages }).routes());
  // Built once, on first request, from the routes registered above (this one included). The generator is
  // loaded only then: importing zod-openapi took 0.4 to 0.6 s here, which every start (and restart) would pay.
  let openApi: Promise<object> | undefined;
  router.get('/api/openapi.json', async (ctx) => {
    openApi ??= import('./openapi.js').then(({ openApiDocument }) => openApiDocument(routeTable(router)));
    ctx.body = await openApi;
  });
  app.use(router.routes());
  app.use(methodGuard(router));

  app.use(spaFallback());
  const staticFiles = serve(staticDir, {
    index: 'index.html',
    // Vite fingerprints everything under assets/, so it never changes.
    setHeaders: (res, path) => {
      res.setHeader('Cache-Control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      // The build names no map in its scripts (sourcemap: 'hidden'); when maps are served, this header does.
      if (deps.serveSourceMaps && path.endsWith('.js') && existsSync(`${path}.map`)) res.setHeader('SourceMap', `${basename(path)}.map`);
    },
  });
  // Source maps hold the app's whole source text: public only when asked for.
  app.use(async (ctx, next) => {
    if (!deps.serveSourceMaps && isSourceMap(ctx.path)) return next();
    try {
      await staticFiles(ctx, next);
    } catch (err) {
      // koa-send's path checks (`//x`, a path outside the folder: "Malicious Path") are paths nothing serves.
      if ((err as { status?: number }).status === 400 || (err as { status?: number }).status === 403) {
        throw notFound('not_found', `nothing is served at ${ctx.path}`);
      }
      throw err;
    }
  });
  return Object.assign(app, { routes: () => routeTable(router) });
}

/** A request for a `.map` file, however its path is encoded (koa-send decodes it before looking). */
function isSourceMap(path: string): boolean {
  try {
    return decodeURIComponent(path).toLowerCase().endsWith('.map');
  } catch {
    return false; // koa-send refuses what it cannot decode
  }
}
