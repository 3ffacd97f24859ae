import type Koa from 'koa';
import type { HistoryMessage, RegisteredSession } from '../../protocol/wire.js';
import { echoText } from '../../protocol/wire.js';
import { authorizeSession, presentedToken, tokenCookieName } from '../auth.js';
import { requireSessionId } from '../domain/session-id.js';
import { requestTarget } from '../request-target.js';
import type { StoredMessage } from '../store/message-log.js';
import type { SessionRecord, SessionRepo } from '../store/session-repo.js';

/** Chrome's cap on cookie lifetime. */
const COOKIE_MAX_AGE_MS = 400 * 24 * 60 * 60 * 1000;

export function registeredSessionBody(session: SessionRecord, token: string): RegisteredSession {
  return { id: session.id, token, createdAt: new Date(session.createdAt).toISOString() };
}

export function historyMessage(sessionId: string, message: StoredMessage): HistoryMessage {
  return {
    seq: message.seq,
    id: message.clientId,
    body: message.body,
    text: echoText(sessionId, message.body),
    at: new Date(message.at).toISOString(),
  };
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
export function requireAuthorizedSession(ctx: Koa.Context, sessions: SessionRepo): SessionRecord {
  const sessionId = requireSessionId(ctx.params.id);
  return authorizeSession(sessions, sessionId, presentedToken(ctx.req, requestTarget(ctx.req.url).query, sessionId));
}
