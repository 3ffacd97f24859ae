import { finished } from 'node:stream';
import Router, { type Layer } from '@koa/router';
import { ROUTER_OPTIONS } from '../router-options.js';
import type Koa from 'koa';
import { presentedToken } from '../../auth.js';
import { AppError, badRequest, conflict } from '../../domain/errors.js';
import type { SessionService } from '../../domain/session-service.js';
import type { AuthFailureLimiter, RegistrationLimiter } from '../../ip-limits.js';
import type { OriginPolicy } from '../../origin-policy.js';
import { readJsonBody } from '../json-body.js';
import { registrationSchema } from '../schemas.js';
import { clearTokenCookie, registeredSessionBody, requireAuthorizedSession, setTokenCookie } from '../session-view.js';

export interface SessionRoutesDeps {
  sessions: Pick<SessionService, 'register' | 'authorise' | 'delete' | 'revokeToken'>;
  maxBodyBytes: number;
  /** Registration attempts per client IP (REGISTER_RATE_LIMIT). */
  registrations: RegistrationLimiter;
  /**
   * LEGACY_OPEN_SESSIONS: the origins whose pages may read GET /stream's
   * answer cross-origin (the demo page's fetch); null: no CORS.
   */
  streamCors: OriginPolicy | null;
  /** A rejoin with a wrong token is a failed authentication, counted with every other (AUTH_FAILURE_LIMIT). */
  authFailures: AuthFailureLimiter;
}

function parseRegistration(input: unknown): string | undefined {
  const parsed = registrationSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data.id ?? undefined;
  const issue = parsed.error.issues[0]!;
  if (issue.path[0] === 'id') throw badRequest('invalid_session_id', issue.message);
  throw badRequest('invalid_body', 'expected a JSON object like {"id":"my-session"} (id optional)');
}

export function sessionRoutes({ sessions, maxBodyBytes, registrations, streamCors, authFailures }: SessionRoutesDeps): Router {
  const router = new Router(ROUTER_OPTIONS);

  /** Every registration attempt counts, so 409s cannot be used to probe IDs quickly either. */
  const rateLimited: Koa.Middleware = async (ctx, next) => {
    await registrations.take(ctx.ip);
    await next();
  };

  /**
   * The demo page's `fetch('http://host:8080/stream?id=')` is cross-origin
   * (its page is another origin, or a file: Origin `null`). An allowed
   * Origin is echoed back, errors included, so the page can read the
   * answer; no credentials are allowed (the cookie stays SameSite=Strict).
   * A simple GET needs no preflight. A foreign Origin never gets here (403).
   */
  const cors: Koa.Middleware = async (ctx, next) => {
    const origin = ctx.get('origin');
    ctx.vary('Origin');
    if (origin !== '' && streamCors?.(ctx.req)) ctx.set('Access-Control-Allow-Origin', origin);
    await next();
  };

  /**
   * Creates the session `requestedId` (or one with a generated ID): 201. An ID
   * that exists is a 409, except to a POST presenting the session's token as a
   * Bearer header or in its cookie: 200 with that token (rejoin). A GET never
   * rejoins, and a token is never taken from the URL here: else a link like
   * `/stream?id=board&token=<attacker's>` would plant the attacker's token in a
   * victim's cookie (session fixation).
   */
  async function register(ctx: Koa.Context, requestedId: string | undefined, rejoinToken: string | undefined): Promise<void> {
    const { session, token, created } = await sessions.register(requestedId, rejoinToken);
    setTokenCookie(ctx, session.id, token);
    ctx.status = created ? 201 : 200;
    if (created) ctx.set('Location', `/api/sessions/${session.id}`);
    ctx.body = registeredSessionBody(session, token);
  }

  /**
   * A POST presenting a token is a rejoin: an authentication like any other.
   * Past AUTH_FAILURE_LIMIT it is 429, and a wrong token (401: another
   * session's, or revoked) counts as a failure, so rejoining is no way around
   * the throttle to guess tokens.
   */
  router.post('/api/sessions', rateLimited, async (ctx) => {
    const requestedId = parseRegistration(await readJsonBody(ctx, maxBodyBytes));
    const rejoinToken = requestedId === undefined ? undefined : presentedToken(ctx.req, null, requestedId);
    if (rejoinToken === undefined) return register(ctx, requestedId, undefined);
    await authFailures.guard(ctx.ip, () => register(ctx, requestedId, rejoinToken));
  });

  // The original demo's registration: GET /stream?id=ID creates ID, nothing more.
  const stream = router.register('/stream', ['GET'], [...(streamCors ? [cors] : []), rateLimited, async (ctx: Koa.Context) => {
    const { id } = ctx.query;
    const requestedId = parseRegistration(id === undefined ? {} : { id });
    try {
      await register(ctx, requestedId, undefined);
    } catch (err) {
      // A token does not help here (a GET never rejoins): say what does.
      if (!(err instanceof AppError && err.code === 'session_exists')) throw err;
      throw conflict(
        'session_exists',
        `session ID "${requestedId}" is taken, and GET /stream only creates new sessions: choose another ID; ` +
          `to use this one, its holder connects to /ws/${requestedId} with its token, or rejoins with POST /api/sessions and Authorization: Bearer <token>`,
      );
    }
  }]) as Layer;
  // GET alone: koa-router answers HEAD on every GET route, and a HEAD must not
  // register (it changes nothing). Off the route, HEAD is a 405 whose Allow,
  // like OPTIONS's, names GET and not HEAD (methods.ts reads the routes' methods).
  stream.methods = ['GET'];

  /**
   * Revokes the session's token: a new one, answered like a registration
   * (200 `{id, token, createdAt}`) and set as the caller's cookie; the old
   * one stops working everywhere (401), and sockets authorised with it are
   * closed with 4002 once this answer is out (see SessionService.revokeToken).
   */
  router.post('/api/sessions/:id/token', async (ctx) => {
    const { session, token, closeOldSockets } = await sessions.revokeToken(await requireAuthorizedSession(ctx, sessions));
    setTokenCookie(ctx, session.id, token);
    ctx.body = registeredSessionBody(session, token);
    // Once the answer is handed to the kernel, or the caller went away (then too: old sockets must not stay open).
    finished(ctx.res, () => closeOldSockets());
  });

  router.delete('/api/sessions/:id', async (ctx) => {
    const session = await requireAuthorizedSession(ctx, sessions);
    await sessions.delete(session);
    clearTokenCookie(ctx, session.id);
    ctx.status = 204;
  });

  return router;
}
