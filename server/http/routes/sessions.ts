import Router from '@koa/router';
import { ROUTER_OPTIONS } from '../router-options.js';
import type Koa from 'koa';
import { z } from 'zod';
import { SESSION_ID_RULE, isValidSessionId } from '../../../protocol/session-id.js';
import { presentedToken } from '../../auth.js';
import { AppError, badRequest, conflict, methodNotAllowed } from '../../domain/errors.js';
import type { SessionService } from '../../domain/session-service.js';
import { createRegistrationLimiter, type AuthFailureLimiter } from '../../ip-limits.js';
import { readJsonBody } from '../json-body.js';
import { clearTokenCookie, registeredSessionBody, requireAuthorizedSession, setTokenCookie } from '../session-view.js';

export interface SessionRoutesDeps {
  sessions: Pick<SessionService, 'register' | 'authorise' | 'delete'>;
  maxBodyBytes: number;
  /** Registrations per minute per client IP; 0: unlimited. */
  registerRateLimit: number;
  /** A rejoin with a wrong token is a failed authentication, counted with every other (AUTH_FAILURE_LIMIT). */
  authFailures: AuthFailureLimiter;
}

/** The one schema of a registration, whether from the JSON body or `/stream?id=`. */
const registrationSchema = z
  .object({ id: z.custom<string>(isValidSessionId, `invalid session ID: ${SESSION_ID_RULE}`).nullish() })
  .loose();

function parseRegistration(input: unknown): string | undefined {
  const parsed = registrationSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data.id ?? undefined;
  const issue = parsed.error.issues[0]!;
  if (issue.path[0] === 'id') throw badRequest('invalid_session_id', issue.message);
  throw badRequest('invalid_body', 'expected a JSON object like {"id":"my-session"} (id optional)');
}

export function sessionRoutes({ sessions, maxBodyBytes, registerRateLimit, authFailures }: SessionRoutesDeps): Router {
  const router = new Router(ROUTER_OPTIONS);
  const limiter = createRegistrationLimiter(registerRateLimit);

  /** Every registration attempt counts, so 409s cannot be used to probe IDs quickly either. */
  const rateLimited: Koa.Middleware = async (ctx, next) => {
    await limiter.take(ctx.ip);
    await next();
  };

  /** The router answers HEAD with the GET route; a HEAD must not register (it changes nothing). */
  const rejectHead: Koa.Middleware = async (ctx, next) => {
    if (ctx.method === 'HEAD') throw methodNotAllowed(['GET']);
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
   * Past AUTH_FAILURE_LIMIT it is 429, and a wrong token (409) counts as a
   * failure, so rejoining is no way around the throttle to guess tokens.
   */
  router.post('/api/sessions', rateLimited, async (ctx) => {
    const requestedId = parseRegistration(await readJsonBody(ctx, maxBodyBytes));
    const rejoinToken = requestedId === undefined ? undefined : presentedToken(ctx.req, null, requestedId);
    if (rejoinToken === undefined) return register(ctx, requestedId, undefined);
    await authFailures.check(ctx.ip);
    try {
      await register(ctx, requestedId, rejoinToken);
    } catch (err) {
      if (err instanceof AppError && err.code === 'session_exists') await authFailures.failed(ctx.ip);
      throw err;
    }
  });

  // The original demo's registration: GET /stream?id=ID creates ID, nothing more.
  router.get('/stream', rejectHead, rateLimited, async (ctx) => {
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
  });

  router.delete('/api/sessions/:id', async (ctx) => {
    const session = await requireAuthorizedSession(ctx, sessions);
    await sessions.delete(session);
    clearTokenCookie(ctx, session.id);
    ctx.status = 204;
  });

  return router;
}
