/**
 * websocket-session-client: a typed client for websocket-session servers, for
 * browsers and Node 20+. See `createClient`.
 */
export { createClient, SessionClient } from './client.js';
export type { ClientEvents, ClientOptions, ClientState, NetworkEvents, OpenedSession, ReceivedMessage } from './types.js';
export { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.js';
export { CLIENT_ERRORS, ClientError, isRetryable, type ClientErrorCode, type ClientErrorDetails, type LocalErrorCode } from './errors.js';
export type { ExportFormat, FetchLike } from './http.js';
export type { Message, PendingSend } from './outbox.js';
export type { WebSocketConstructor, WebSocketLike } from './socket.js';
export {
  memoryOutboxStore,
  memoryTokenStore,
  webStorageOutboxStore,
  webStorageTokenStore,
  type OutboxStore,
  type PendingMessage,
  type StorageLike,
  type TokenStore,
} from './stores.js';
export { sendFrame, utf8Length } from './utf8.js';
export { ERROR_CATALOGUE, type ErrorCode } from '../../protocol/errors.js';
export { SESSION_ID_MAX_LENGTH, SESSION_ID_RULE, isValidSessionId } from '../../protocol/session-id.js';
export type { HistoryMessage, HistoryPage, SearchPage, SearchResult, SessionInfo, SnippetPart, ServerFrame } from '../../protocol/wire.js';
