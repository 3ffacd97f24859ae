/** The path and query of a request, as sent. */
export interface RequestTarget {
  /** Raw: not percent-decoded, dot segments kept; '' for a target that is no path. */
  path: string;
  query: URLSearchParams;
}

/** `scheme://authority` at the start of an absolute-form target. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * The authority of an absolute-form request-target (`GET http://h:1/x`:
 * `h:1`), or null for any other form. RFC 9112 §3.2.2: a server takes the
 * target's authority as the request's host, so it passes the same host check
 * as a Host header would.
 */
export function absoluteAuthority(rawUrl: string | undefined): string | null {
  const match = ABSOLUTE_FORM.exec(rawUrl ?? '');
  return match ? match[0].slice(match[0].indexOf('//') + 2) : null;
}

/**
 * A request-target (`req.url`) in origin form, `/path?query`, or null when
 * it has no path (`*`, `host:port`, `mailto:x`). The absolute form a client
 * may send to a proxy (`GET http://h/x HTTP/1.1`, RFC 9112 §3.2.2) becomes
 * its path and query: its authority is client text that Koa's `ctx.path`
 * (url.parse) throws on (`http://[::1/x`) or misreads (`http://a%20b/x` as
 * path `%20b/x`). A fragment, which clients should not send, is dropped.
 */
export function originForm(rawUrl: string | undefined): string | null {
  let target = rawUrl ?? '/';
  const authority = ABSOLUTE_FORM.exec(target);
  if (authority) target = target.slice(authority[0].length) || '/';
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  return target.startsWith('/') ? target : null;
}

/**
 * Reads a request's path and query from its request-target alone, for HTTP
 * routes and WebSocket upgrades alike. Never from the Host header, which is
 * client text: Koa's `ctx.URL` joins the two, and `Host: a b` made it an
 * empty object on which every route reading a token or `?id=` threw. Never
 * throws: whatever Node parsed as a target reads as some path.
 */
export function requestTarget(rawUrl: string | undefined): RequestTarget {
  const target = originForm(rawUrl) ?? '';
  const q = target.indexOf('?');
  if (q === -1) return { path: target, query: new URLSearchParams() };
  return { path: target.slice(0, q), query: new URLSearchParams(target.slice(q + 1)) };
}
