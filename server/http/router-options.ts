/**
 * The options of every Router of the app. Paths match exactly as written:
 * case-sensitive, and a trailing slash is another path. Loose matching
 * served `/API/SESSIONS/x/MESSAGES` and `/metrics/` as the routes while
 * rules keyed on the path text (the failed-authentication throttle) did not
 * see them; now a path is a route in one spelling only.
 */
export const ROUTER_OPTIONS = { sensitive: true, strict: true } as const;
