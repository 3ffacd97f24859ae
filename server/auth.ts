import type { IncomingMessage } from 'node:http';
import { parse as parseCookies } from 'cookie';

/**
 * The browser keeps one HttpOnly cookie per session, so several sessions can
 * live side by side; the ID alphabet is valid in a cookie name as it is.
 */
export const tokenCookieName = (sessionId: string) => `st_${sessionId}`;

/**
 * Whether the request meant to present a token in the ways presentedToken
 * reads one (a Bearer header or `?token=`), even an empty one: under
 * LEGACY_OPEN_SESSIONS such a request is checked like any other (401), not
 * admitted as tokenless. Another Authorization scheme (a proxy's Basic) is
 * not a token.
 */
export function tokenAttempted(req: IncomingMessage, query: URLSearchParams): boolean {
  return /^Bearer(\s|$)/i.test(req.headers.authorization ?? '') || query.has('token');
}

/**
 * The token a request presents for a session, from (in this order) the
 * `Authorization: Bearer` header, the `?token=` query parameter (unless
 * `query` is null: registration never takes it from the URL), or the
 * session's cookie. Shared by HTTP routes and the WebSocket upgrade.
 */
export function presentedToken(req: IncomingMessage, query: URLSearchParams | null, sessionId: string): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return match[1];
  }
  const fromQuery = query?.get('token');
  if (fromQuery) return fromQuery;
  const cookieHeader = req.headers.cookie;
  if (cookieHeader) return parseCookies(cookieHeader)[tokenCookieName(sessionId)] || undefined;
  return undefined;
}
