/**
 * The one session-ID rule, shared by every edge (HTTP, WebSocket upgrade, SPA).
 * Kept to the URL-safe alphabet so an ID never needs escaping in a path or a
 * cookie name.
 */
export const SESSION_ID_MAX_LENGTH = 64;
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const SESSION_ID_RULE = 'a session ID is 1 to 64 characters of A-Z a-z 0-9 _ -';

export function isValidSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID_PATTERN.test(value);
}
