import Router from '@koa/router';
import { ROUTER_OPTIONS } from '../router-options.js';
import type Koa from 'koa';
import { z } from 'zod';
import { SESSION_ID_RULE, isValidSessionId } from '../../../protocol/session-id.js';
import { presentedToken } from '../../auth.js';
import { AppError, badRequest, conflict, methodNotAllowed } from '../../domain/errors.js';
import { generateSessionId } from '../../domain/session-id.js';
import { generateToken, hashToken, tokenMatches } from '../../domain/token.js';
import { createRegistrationLimiter } from '../../ip-limits.js';
import type { SessionRecord, SessionRepo } from '../../store/session-repo.js';
import { readJsonBody } from '../json-body.js';
import { clearTokenCookie, registeredSessionBody, requireAuthorizedSession, setTokenCookie } from '../session-view.js';

export interface SessionRoutesDeps {
  sessions: SessionRepo;
  maxBodyBytes: number;
  /** Registrations per minute per client IP; 0: unlimited. */
  registerRateLimit: number;
  /** Deletes the session and its history and closes its sockets. */
  deleteSession(session: SessionRecord): void;
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

/** Tries generated IDs until one is free: 96 random bits make a retry very unlikely. */
const GENERATE_ATTEMPTS = 5;

export function sessionRoutes({ sessions, maxBodyBytes, registerRateLimit, deleteSession }: SessionRoutesDeps): Router {
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
  function register(ctx: Koa.Context, requestedId: string | undefined, rejoin: boolean): void {
    if (requestedId !== undefined) {
      const existing = sessions.findById(requestedId);
      if (existing) {
        const token = rejoin ? presentedToken(ctx.req, null, requestedId) : undefined;
        if (!tokenMatches(token, existing.tokenHash)) {
          throw conflict('session_exists', `session ID "${requestedId}" is taken; choose another, or present its token`);
        }
        setTokenCookie(ctx, existing.id, token!);
        ctx.status = 200;
        ctx.body = registeredSessionBody(existing, token!);
        return;
      }
    }
    const token = generateToken();
    const tokenHash = hashToken(token);
    for (let attempt = 0; attempt < GENERATE_ATTEMPTS; attempt++) {
      const created = sessions.create(requestedId ?? generateSessionId(), tokenHash, Date.now());
      if (created) {
        setTokenCookie(ctx, created.id, token);
        ctx.status = 201;
        ctx.set('Location', `/api/sessions/${created.id}`);
        ctx.body = registeredSessionBody(created, token);
        return;
      }
      if (requestedId !== undefined) break;
    }
    throw requestedId === undefined
      ? new AppError(503, 'id_generation_failed', 'could not generate a free session ID; retry')
      : conflict('session_exists', `session ID "${requestedId}" is taken; choose another, or present its token`);
  }

  router.post('/api/sessions', rateLimited, async (ctx) => {
    register(ctx, parseRegistration(await readJsonBody(ctx, maxBodyBytes)), true);
  });

  // The original demo's registration: GET /stream?id=ID creates ID, nothing more.
  router.get('/stream', rejectHead, rateLimited, (ctx) => {
    const { id } = ctx.query;
    register(ctx, parseRegistration(id === undefined ? {} : { id }), false);
  });

  router.delete('/api/sessions/:id', (ctx) => {
    const session = requireAuthorizedSession(ctx, sessions);
    deleteSession(session);
    clearTokenCookie(ctx, session.id);
    ctx.status = 204;
  });

  return router;
}
