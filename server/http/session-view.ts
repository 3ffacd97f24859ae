import type Koa from 'koa';
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

/** The session named by the `:id` route parameter, if the request holds its token. */
export function requireAuthorizedSession(ctx: Koa.Context, sessions: Pick<SessionService, 'authorise'>): Promise<SessionRecord> {
  const sessionId = requireSessionId(ctx.params.id);
  return sessions.authorise(sessionId, presentedToken(ctx.req, requestTarget(ctx.req.url).query, sessionId));
}
