/**
 * The error catalogue: every code the service puts in an HTTP error body
 * (`{"error":{"code","message"}}`), a WebSocket `error` frame or a close
 * reason. Server and clients share it; a new code is added here first, so a
 * client's switch over `ErrorCode` fails to compile until it knows the code.
 *
 * `status` is the HTTP status the code is answered with (also the status of a
 * refused WebSocket upgrade); `null` for codes that only travel in frames.
 * `retry` says whether the same request may succeed later unchanged.
 */
export const ERROR_CATALOGUE = {
  // The request itself
  bad_request: { status: 400, retry: false, summary: 'the request is not valid HTTP or has a malformed part' },
  invalid_session_id: { status: 400, retry: false, summary: 'the session ID breaks the ID rule' },
  invalid_query: { status: 400, retry: false, summary: 'a query parameter is missing or out of range' },
  invalid_body: { status: 400, retry: false, summary: 'the JSON body does not have the expected shape' },
  invalid_json: { status: 400, retry: false, summary: 'the body (HTTP) or frame (WebSocket) is not valid JSON' },
  undecodable_body: { status: 400, retry: false, summary: 'the body does not decode as its Content-Encoding says (not gzip, say)' },
  invalid_after: { status: 400, retry: false, summary: '`?after=` is not a seq, or was given in text mode' },
  invalid_epoch: { status: 400, retry: false, summary: '`&epoch=` is not an epoch, or was given without `?after=`' },
  invalid_handshake: { status: 400, retry: false, summary: 'the WebSocket opening handshake is malformed (key, version or subprotocol list)' },
  unsupported_subprotocol: { status: 400, retry: false, summary: 'the WebSocket subprotocol offered is not session.v1' },
  unauthorized: { status: 401, retry: false, summary: 'the session token is missing or wrong' },
  origin_not_allowed: { status: 403, retry: false, summary: 'the request comes from a page whose origin is not allowed' },
  forbidden: { status: 403, retry: false, summary: 'the request is not allowed' },
  not_found: { status: 404, retry: false, summary: 'no resource at this path' },
  expectation_failed: { status: 417, retry: false, summary: 'an Expect header other than 100-continue: send the request without it' },
  session_not_found: { status: 404, retry: false, summary: 'no session with this ID (deleted while a socket was open: close 4001 with this code as reason)' },
  method_not_allowed: { status: 405, retry: false, summary: 'the path exists but not with this method (see Allow)' },
  request_timeout: { status: 408, retry: true, summary: 'the request took too long to arrive' },
  session_exists: { status: 409, retry: false, summary: 'the session ID is taken and the request does not hold its token' },
  payload_too_large: { status: 413, retry: false, summary: 'the body is larger than the limit' },
  unsupported_media_type: { status: 415, retry: false, summary: 'the body is not application/json (or has an encoding the server does not take)' },
  host_not_allowed: { status: 421, retry: false, summary: 'the Host header names a host this server does not answer to (ALLOWED_HOSTS)' },
  upgrade_required: { status: 426, retry: false, summary: 'the WebSocket port was asked plain HTTP' },
  too_many_requests: { status: 429, retry: true, summary: 'too many requests from this client; see Retry-After' },
  too_many_registrations: { status: 429, retry: true, summary: 'too many registration attempts from this IP (409s and 400s count too); see Retry-After' },
  too_many_connections: { status: 429, retry: true, summary: 'the session has as many open WebSockets as it may' },
  too_many_ip_connections: { status: 429, retry: true, summary: 'this client IP has as many open WebSockets as it may (MAX_CONNECTIONS_PER_IP)' },
  too_many_auth_failures: { status: 429, retry: true, summary: 'too many failed authentications from this IP (AUTH_FAILURE_LIMIT); see Retry-After' },
  headers_too_large: { status: 431, retry: false, summary: 'the request headers are too large' },
  // The server's state
  internal: { status: 500, retry: true, summary: 'a bug: the server could not answer (nothing is shown of it)' },
  storage_unavailable: { status: 503, retry: true, summary: 'storage cannot take the write or read now (disk full, read-only, locked); text mode: close 1011' },
  server_full: { status: 503, retry: true, summary: 'the server has as many open WebSockets as it may' },
  shutting_down: { status: 503, retry: true, summary: 'the server is shutting down; reconnect shortly (open sockets: close 1001)' },
  draining: { status: 503, retry: true, summary: 'readiness: the server is shutting down' },
  not_writable: { status: 503, retry: true, summary: 'readiness: the database does not accept writes' },
  unhealthy: { status: 503, retry: true, summary: 'liveness: the database does not answer' },
  search_timeout: {
    status: 503,
    retry: true,
    summary: 'the search ran past its time budget and was stopped: add letters or words, or retry later (see Retry-After)',
  },
  id_generation_failed: { status: 503, retry: true, summary: 'no free session ID could be generated; retry' },
  // WebSocket frames only (JSON mode)
  invalid_frame: {
    status: null,
    retry: false,
    summary: 'the frame is JSON but not a frame the server takes (a binary frame: close 1003 with this code as reason)',
  },
  rate_limited: {
    status: null,
    retry: true,
    summary: 'over the per-connection message rate: the message was not stored (a JSON client that keeps going: close 1008; text mode: close 1008 at the first)',
  },
  // WebSocket close reasons only (the connection is closed with the code given)
  message_too_large: { status: null, retry: false, summary: 'close 1009: the message is larger than MAX_MESSAGE_BYTES; nothing of it was stored' },
  invalid_utf8: { status: null, retry: false, summary: 'close 1007: a text message is not valid UTF-8; nothing of it was stored' },
  protocol_violation: { status: null, retry: false, summary: 'close 1002: a frame breaks the WebSocket protocol (RFC 6455)' },
  message_too_fragmented: {
    status: null,
    retry: false,
    summary: 'close 1008: a message came in more fragments or chunks than WS_MAX_FRAGMENTS / WS_MAX_BUFFERED_CHUNKS',
  },
  token_revoked: {
    status: null,
    retry: false,
    summary: 'the token this socket was authorised with was revoked: close 4002 with this code as reason; reconnecting needs the new token (else 401)',
  },
  session_storage_full: {
    status: null,
    retry: false,
    summary: 'the session stores MAX_SESSION_BYTES of messages: the message was not stored (text mode: close 1008 with this code as reason)',
  },
} as const satisfies Record<string, { status: number | null; retry: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The codes an HTTP response (or a refused upgrade) can carry: those with a status. */
export type HttpErrorCode = {
  [K in ErrorCode]: (typeof ERROR_CATALOGUE)[K]['status'] extends number ? K : never;
}[ErrorCode];

/** The body of every HTTP error response. */
export interface ApiErrorBody {
  error: { code: ErrorCode; message: string };
}

/** The one builder of `{"error":{"code","message"}}`: HTTP bodies and refused upgrades alike. */
export function errorBody(code: ErrorCode, message: string): ApiErrorBody {
  return { error: { code, message } };
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOGUE, value);
}
