/**
 * The service's model: what the domain, the transport and every store
 * adapter agree on. Plain data; times are ms since the Unix epoch.
 */
import type { SnippetPart } from '../../protocol/wire.js';

/** A session's own retention limits; null: the deployment's apply. */
export interface RetentionLimits {
  maxAgeMs: number | null;
  maxMessages: number | null;
}

export interface SessionRecord {
  /** The store's key: never reused, so a deleted session's key cannot come back. */
  pk: number;
  /** The public ID (the ID rule: protocol/session-id.ts). */
  id: string;
  /** SHA-256 of the token (domain/token.ts); the token itself is never stored. */
  tokenHash: Buffer;
  createdAt: number;
  /** The history's epoch (domain/epoch.ts): new whenever the session's history is replaced. */
  epoch: string;
  retention: RetentionLimits;
}

export interface StoredMessage {
  /** Per session: 1, 2, 3, ... assigned at commit, never reused. */
  seq: number;
  /** Client message id (JSON mode); a second append with the same id returns the first. */
  clientId: string | null;
  body: string;
  /** Commit time. */
  at: number;
}

export interface AppendInput {
  sessionPk: number;
  clientId: string | null;
  body: string;
}

export interface AppendResult extends StoredMessage {
  /** True when the client id was already stored: nothing new was written. */
  duplicate: boolean;
}

/**
 * What one stored message counts against MAX_SESSION_BYTES, besides its
 * body and client id: its row (seq, time, keys), its index entries and its
 * search-index postings, which a message has however short. An estimate of
 * SQLite's per-row cost for short messages, rounded up, so that a flood of
 * empty messages with long ids (what grew a database by 220 MB) is not free.
 * Every store adapter counts with messageCost.
 */
export const MESSAGE_OVERHEAD_BYTES = 64;

/** The bytes a message counts against its session's budget: UTF-8 body and client id, plus MESSAGE_OVERHEAD_BYTES. */
export function messageCost(clientId: string | null, body: string): number {
  return Buffer.byteLength(body) + (clientId === null ? 0 : Buffer.byteLength(clientId)) + MESSAGE_OVERHEAD_BYTES;
}

/**
 * Different words a search may have (q is also at most 200 characters):
 * every word is one more posting list to read and intersect, so this bounds
 * what one search can cost. Beyond, 400 `invalid_query`; every store adapter
 * counts words as its index does and applies it.
 */
export const MAX_SEARCH_WORDS = 16;

/**
 * An append refused because its session's stored messages (messageCost each)
 * would pass the storage budget (MAX_SESSION_BYTES): nothing was written for
 * it, the rest of its batch was.
 */
export class SessionStorageFullError extends Error {
  override readonly name = 'SessionStorageFullError';
  constructor(readonly maxSessionBytes: number) {
    super(`the session stores ${maxSessionBytes} bytes of messages, its limit`);
  }
}

/** An append to a session that no longer exists (deleted while the message waited): nothing was written. */
export class SessionGoneError extends Error {
  override readonly name = 'SessionGoneError';
  constructor() {
    super('the session was deleted');
  }
}

/** One append's outcome: stored (or found stored), or refused on its own. */
export type AppendOutcome = AppendResult | SessionStorageFullError | SessionGoneError;

/** A page of history: ascending by seq. */
export interface MessagePage {
  messages: StoredMessage[];
  hasMore: boolean;
}

/** A search hit: the message and an excerpt of its body around the matches. */
export interface SearchHit extends StoredMessage {
  /** A contiguous slice of the body, cut into plain and matching parts; joined, exactly that slice. */
  snippet: SnippetPart[];
  /** Text of the body is left out before / after the snippet (a client shows an ellipsis). */
  elidedBefore: boolean;
  elidedAfter: boolean;
}

export interface SearchPage {
  /** Best matches first. */
  hits: SearchHit[];
  hasMore: boolean;
}
