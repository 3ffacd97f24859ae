import type Koa from 'koa';
import type { ErrorCode } from '../../protocol/errors.js';
import type { RegisteredSession } from '../../protocol/wire.js';
import { presentedToken, tokenCookieName } from '../auth.js';
import type { SessionRecord } from '../domain/model.js';
import { requireSessionId } from '../domain/session-id.js';
import type { SessionService } from '../domain/session-service.js';
import { requestTarget } from '../request-target.js';

/** Chrome's cap on cookie lifetime. */
const COOKIE_MAX_AGE_MS = 400 * 24 * 60 * 60 * 1000;

export function registeredSessionBody(session: SessionRecord, token: string): RegisteredSession {
  return { id: session.id, token, createdAt: new Date(session.createdAt).toISOString() };
}

export function setTokenCookie(ctx: Koa.Context, sessionId: string, token: string): void {
  ctx.cookies.set(tokenCookieName(sessionId), token, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    maxAge: COOKIE_MAX_AGE_MS,
    secure: ctx.secure,
    overwrite: true,
  });
}

export function clearTokenCookie(ctx: Koa.Context, sessionId: string): void {
  ctx.cookies.set(tokenCookieName(sessionId), '', { httpOnly: true, sameSite: 'strict', path: '/', maxAge: 0, overwrite: true });
}

/**
 * What a route of one session's resources can answer before its own work:
 * a bad ID, no or a wrong token, an unknown session, the failed-authentication
 * throttle (auth-throttle.ts), and the store unable to read.
 */
export const AUTHORIZED_SESSION_ERRORS = [
  'invalid_session_id',
  'unauthorized',
  'session_not_found',
  'too_many_auth_failures',
  'storage_unavailable',
] as const satisfies readonly ErrorCode[];

/** The session named by the `:id` route parameter, if the request holds its token. */
export function requireAuthorizedSession(ctx: Koa.Context, sessions: Pick<SessionService, 'authorise'>): Promise<SessionRecord> {
  const sessionId = requireSessionId(ctx.params.id);
  return sessions.authorise(sessionId, presentedToken(ctx.req, requestTarget(ctx.req.url).query, sessionId));
}
