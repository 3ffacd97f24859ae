/**
 * Wire types shared by the server and the SPA. No Node and no DOM here: both
 * sides compile this file.
 */
import type { ApiErrorBody, ErrorCode } from './errors.js';

/** Subprotocol of the JSON mode; without it a connection is in text mode. */
export const SUBPROTOCOL = 'session.v1';

/** Path of the WebSocket endpoint: `/ws/{ID}`. */
export const WS_PATH_PREFIX = '/ws/';

/** The echo text of a message: what the original demo sent back. */
export function echoText(sessionId: string, body: string): string {
  return `${sessionId}: ${body}`;
}

/** Longest client message id the JSON mode accepts. */
export const CLIENT_ID_MAX_LENGTH = 128;

/** The highest seq a session can reach (2^32 - 1): `?after=` and `?before=` are bounded by it. */
export const SEQ_MAX = 0xffff_ffff;

// Client -> server (JSON mode).
export interface SendFrame {
  type: 'send';
  /** Client message id: a resend with the same id is not stored twice. */
  id?: string | null;
  text: string;
}
export type ClientFrame = SendFrame;

// Server -> client (JSON mode).
export interface EchoFrame {
  type: 'echo';
  seq: number;
  id: string | null;
  text: string;
  /** Commit time, ISO 8601. */
  at: string;
}
export interface ReadyFrame {
  type: 'ready';
  /** Highest seq of the session when the replay ended (0 when empty). */
  lastSeq: number;
  /** Largest frame the server accepts, in UTF-8 bytes (bigger: close 1009). */
  maxMessageBytes: number;
  /**
   * The session's history epoch: it changes whenever the history is replaced
   * (the ID deleted and registered again, a restore from backup). A resuming
   * client sends it back as `&epoch=` with `?after=`.
   */
  epoch: string;
  /**
   * Presence: the session's open JSON-mode connections (tabs, devices, bots),
   * this one included, on every server node. Later changes come as
   * `presence` frames. Absent from servers without presence.
   */
  presence?: number;
}
/**
 * Sent first to a client that resumes (`?after=N&epoch=E`) with an epoch that
 * is not the session's: the history it holds is gone. The server then replays
 * from seq 0 and sends `ready`; the client drops what it held.
 */
export interface ResetFrame {
  type: 'reset';
  /** The session's current epoch. */
  epoch: string;
}
/**
 * The session's presence changed: `count` open JSON-mode connections, as in
 * `ready.presence`. Sent to every connection of the session after its `ready`.
 */
export interface PresenceFrame {
  type: 'presence';
  count: number;
}
export interface ErrorFrame {
  type: 'error';
  code: ErrorCode;
  message: string;
  /** The client message id the error is about, when there is one. */
  id?: string | null;
}
export type ServerFrame = EchoFrame | ReadyFrame | ErrorFrame | ResetFrame | PresenceFrame;

// HTTP API bodies.
export interface RegisteredSession {
  id: string;
  token: string;
  createdAt: string;
}
export interface HistoryMessage {
  seq: number;
  id: string | null;
  body: string;
  text: string;
  at: string;
}
export interface HistoryPage {
  /** Ascending by seq; the first page is the newest one. */
  messages: HistoryMessage[];
  hasMore: boolean;
}
/** A piece of a search snippet; `match` marks the words that matched. */
export interface SnippetPart {
  text: string;
  match: boolean;
}
export interface SearchResult extends HistoryMessage {
  /**
   * An excerpt of `body` around the matches: joined, the parts are exactly a
   * slice of `body` (no marker or ellipsis characters are added to the text).
   */
  snippet: SnippetPart[];
  /** Text of `body` is left out before / after the snippet: show an ellipsis there. */
  elidedBefore: boolean;
  elidedAfter: boolean;
}
export interface SearchPage {
  /** Best matches first. */
  results: SearchResult[];
  hasMore: boolean;
}
/** Retention limits; null: no limit of this kind. */
export interface RetentionView {
  maxAgeDays: number | null;
  maxMessages: number | null;
}
/** `GET /api/sessions/:id`. */
export interface SessionInfo {
  id: string;
  createdAt: string;
  lastSeq: number;
  /** The session's own limits. */
  retention: RetentionView;
  /** What applies: the deployment's limits tightened by the session's. */
  effectiveRetention: RetentionView;
}
/** The body of every HTTP error (see errors.ts). */
export type ApiError = ApiErrorBody;

/** Close codes the server uses beyond RFC 6455's own. */
export const CloseCode = {
  goingAway: 1001,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
  /** The session was deleted while the socket was open. */
  sessionDeleted: 4001,
  /**
   * The token the socket was authorised with was revoked (`POST
   * /api/sessions/:id/token`): reconnecting needs the new one (the revoking
   * browser's cookie has it; anyone else gets 401).
   */
  tokenRevoked: 4002,
} as const;
