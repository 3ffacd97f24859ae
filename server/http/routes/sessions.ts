import Router from '@koa/router';
import { ROUTER_OPTIONS } from '../router-options.js';
import type Koa from 'koa';
import { z } from 'zod';
import { SESSION_ID_RULE, isValidSessionId } from '../../../protocol/session-id.js';
import { presentedToken } from '../../auth.js';
import { badRequest, methodNotAllowed } from '../../domain/errors.js';
import type { SessionService } from '../../domain/session-service.js';
import { createRegistrationLimiter } from '../../ip-limits.js';
import { readJsonBody } from '../json-body.js';
import { clearTokenCookie, registeredSessionBody, requireAuthorizedSession, setTokenCookie } from '../session-view.js';

export interface SessionRoutesDeps {
  sessions: Pick<SessionService, 'register' | 'authorise' | 'delete' | 'revokeToken'>;
  maxBodyBytes: number;
  /** Registrations per minute per client IP; 0: unlimited. */
  registerRateLimit: number;
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

export function sessionRoutes({ sessions, maxBodyBytes, registerRateLimit }: SessionRoutesDeps): Router {
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
  async function register(ctx: Koa.Context, requestedId: string | undefined, rejoin: boolean): Promise<void> {
    const rejoinToken = rejoin && requestedId !== undefined ? presentedToken(ctx.req, null, requestedId) : undefined;
    const { session, token, created } = await sessions.register(requestedId, rejoinToken);
    setTokenCookie(ctx, session.id, token);
    ctx.status = created ? 201 : 200;
    if (created) ctx.set('Location', `/api/sessions/${session.id}`);
    ctx.body = registeredSessionBody(session, token);
  }

  router.post('/api/sessions', rateLimited, async (ctx) => {
    await register(ctx, parseRegistration(await readJsonBody(ctx, maxBodyBytes)), true);
  });

  // The original demo's registration: GET /stream?id=ID creates ID, nothing more.
  router.get('/stream', rejectHead, rateLimited, async (ctx) => {
    const { id } = ctx.query;
    await register(ctx, parseRegistration(id === undefined ? {} : { id }), false);
  });

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
    // 'finish' when the answer is handed to the kernel; 'close' too, so a caller that went away cannot keep old sockets open.
    let done = false;
    const close = () => {
      if (done) return;
      done = true;
      closeOldSockets();
    };
    ctx.res.once('finish', close).once('close', close);
  });

  router.delete('/api/sessions/:id', async (ctx) => {
    const session = await requireAuthorizedSession(ctx, sessions);
    await sessions.delete(session);
    clearTokenCookie(ctx, session.id);
    ctx.status = 204;
  });

  return router;
}
