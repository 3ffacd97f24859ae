import type { BackoffOptions } from './backoff.js';
import type { ClientError, ClientErrorCode } from './errors.js';
import type { FetchLike } from './http.js';
import type { Message } from './outbox.js';
import type { WebSocketConstructor } from './socket.js';
import type { OutboxStore, TokenStore } from './stores.js';

/** Where `online` events come from (browsers: `window`). */
export interface NetworkEvents {
  addEventListener(type: 'online', listener: () => void): void;
  removeEventListener(type: 'online', listener: () => void): void;
}

export interface ClientOptions {
  /** The HTTP API's origin, e.g. `https://chat.example.com` or `http://localhost:8080` (in a browser app: `location.origin`). Required. */
  baseUrl: string;
  /** Origin for WebSocket upgrades. Default: `baseUrl` with ws(s):, whose server answers `/ws/{ID}` too. */
  wsUrl?: string;
  /** The WebSocket constructor. Default: the global one (browsers, Node 22+); in Node 20 pass `WebSocket` from `ws`. */
  WebSocket?: WebSocketConstructor;
  /** The fetch function. Default: the global one (browsers, Node 18+). */
  fetch?: FetchLike;
  /**
   * How requests prove they hold the session. `'bearer'` (default): the token
   * is kept in `tokenStore` and sent as `Authorization: Bearer` over HTTP and
   * as `?token=` on the WebSocket URL (a browser WebSocket cannot send
   * headers; the server redacts the parameter from its logs). `'cookie'`
   * (browser apps on the server's origin): the server's HttpOnly cookie does
   * it, and the token is never stored where JS can read it.
   */
  auth?: 'bearer' | 'cookie';
  /** Where tokens are kept (`auth: 'bearer'`). Default: memory (gone with the client). */
  tokenStore?: TokenStore;
  /** Where unacknowledged messages are kept. Default: memory (resent after reconnects, not after a restart). */
  outboxStore?: OutboxStore;
  /** Reconnect and resend delays, full jitter. Default `{ minMs: 500, maxMs: 30000 }`. */
  backoff?: Partial<BackoffOptions>;
  /** Most messages written and not yet acknowledged; halved on each `rate_limited`, then grows by one per acknowledgement. Default 1000. */
  maxInFlight?: number;
  /** Reconnects at once on its `online` event. Default: `globalThis` where it has `addEventListener` (browsers); null: none. */
  networkEvents?: NetworkEvents | null;
}

/**
 * The connection state. `attempt` counts the attempts failed in a row.
 * `closed.code` is null after `close()`, else why the client gave up
 * (`session_deleted`, `token_revoked`, `unauthorized`, `session_not_found`...).
 */
export type ClientState =
  | { status: 'idle' }
  | { status: 'connecting'; attempt: number }
  | { status: 'open'; lastSeq: number; maxMessageBytes: number; epoch: string | null }
  | { status: 'reconnecting'; attempt: number; delayMs: number; reason: ClientError }
  | { status: 'closed'; code: ClientErrorCode | null; reason: string };

/** A `message` event: a committed message of the session; `own` when this client sent it. */
export type ReceivedMessage = Message & { own: boolean };

export interface ClientEvents {
  /** Every committed message after the cursor, from any tab or device, in seq order, once. */
  message: ReceivedMessage;
  state: ClientState;
  /** Open connections of the session (servers with presence only). */
  presence: { count: number };
  /** The history this client held is gone (a restore, the ID registered anew): drop it; the new one follows as `message`s. */
  reset: { epoch: string | null };
  /** A problem that does not change the state: a refused message, a frame not understood, a failed outbox save. */
  error: ClientError;
}

export interface OpenedSession {
  id: string;
  createdAt: string;
  /** True when this call created the session (201), false when it rejoined it (200). */
  created: boolean;
}
