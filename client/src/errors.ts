import { ERROR_CATALOGUE, isErrorCode, type ErrorCode } from '../../protocol/errors.js';
import { CloseCode } from '../../protocol/wire.js';

/**
 * Codes only the client produces, for what the server cannot say in a body or
 * a frame. `retry` as in the server's catalogue: may the same thing succeed
 * later unchanged.
 */
export const CLIENT_ERRORS = {
  network: { retry: true, summary: 'the server could not be reached (fetch failed or no answer)' },
  connection_lost: { retry: true, summary: 'the WebSocket closed without a reason the client knows (close 1006 and the like)' },
  policy_violation: { retry: true, summary: 'the server closed the WebSocket for a policy (close 1008), usually the rate limit' },
  message_too_big: { retry: false, summary: "the send frame is larger than the server's maxMessageBytes (the server would close with 1009)" },
  session_deleted: { retry: false, summary: 'the session was deleted (close 4001, or delete() on this client)' },
  client_closed: { retry: false, summary: 'close() was called before the message was acknowledged' },
  invalid_state: { retry: false, summary: 'the call needs open() first, names another session, or comes after close()' },
  protocol_error: { retry: false, summary: 'the server sent something this client does not understand' },
} as const satisfies Record<string, { retry: boolean; summary: string }>;

export type LocalErrorCode = keyof typeof CLIENT_ERRORS;

/** Every code a ClientError can carry: the server's catalogue and the client's own. */
export type ClientErrorCode = ErrorCode | LocalErrorCode;

// A client code must never shadow a server code: this line stops compiling if one does.
const _disjoint: [Extract<LocalErrorCode, ErrorCode>] extends [never] ? true : never = true;
void _disjoint;

export function isRetryable(code: ClientErrorCode): boolean {
  return code in CLIENT_ERRORS ? CLIENT_ERRORS[code as LocalErrorCode].retry : ERROR_CATALOGUE[code as ErrorCode].retry;
}

export interface ClientErrorDetails {
  /** The HTTP status, for errors answered over HTTP (a refused upgrade found out by a probe included). */
  status?: number;
  /** From `Retry-After`, in milliseconds. */
  retryAfterMs?: number;
  /** The client message id the error is about (error frames). */
  messageId?: string;
  cause?: unknown;
}

/**
 * Every failure the client reports: a promise rejection, an `error` event, the
 * reason of a `reconnecting` state. `code` is one of the server's error
 * catalogue (protocol/errors.ts) or of CLIENT_ERRORS; `retryable` says
 * whether the same thing may work later unchanged.
 */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly code: ClientErrorCode;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly messageId?: string;

  constructor(code: ClientErrorCode, message: string, details: ClientErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.retryable = isRetryable(code);
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.messageId !== undefined) this.messageId = details.messageId;
  }
}

/** A code from the wire, or protocol_error for one this client does not know (a newer server). */
export function wireCode(code: unknown): ClientErrorCode {
  return isErrorCode(code) ? code : 'protocol_error';
}

/** What a close code the server chose means; anything else is a lost connection. */
export function closeError(code: number, reason: string): ClientError {
  const byCode: Record<number, ClientErrorCode> = {
    [CloseCode.goingAway]: 'shutting_down',
    [CloseCode.policyViolation]: 'policy_violation',
    [CloseCode.messageTooBig]: 'message_too_big',
    [CloseCode.internalError]: 'storage_unavailable',
    [CloseCode.sessionDeleted]: 'session_deleted',
    [CloseCode.tokenRevoked]: 'token_revoked',
    [CloseCode.unsupportedData]: 'protocol_error',
    [CloseCode.invalidPayload]: 'protocol_error',
  };
  return new ClientError(byCode[code] ?? 'connection_lost', reason || `the WebSocket closed with ${code}`);
}
