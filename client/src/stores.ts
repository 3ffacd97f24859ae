/**
 * Where a client keeps what must outlive a page or a process: the session
 * tokens, and the messages sent but not yet acknowledged (the outbox). Each
 * is an interface with a memory, a Web Storage and (in `./node`) a file
 * implementation; methods may return promises, so IndexedDB or a database
 * fit too. Keys are session IDs: use one store per server.
 */

/** Session tokens by session ID. */
export interface TokenStore {
  get(sessionId: string): string | null | Promise<string | null>;
  set(sessionId: string, token: string): void | Promise<void>;
  delete(sessionId: string): void | Promise<void>;
}

/** A message sent but not acknowledged: what the outbox keeps and resends. */
export interface PendingMessage {
  /** The client message id: the server stores a resent id only once. */
  id: string;
  text: string;
}

/** Unacknowledged messages by session ID, in send order. */
export interface OutboxStore {
  load(sessionId: string): PendingMessage[] | Promise<PendingMessage[]>;
  /** Replaces what is kept for the session; an empty list may remove it. */
  save(sessionId: string, messages: readonly PendingMessage[]): void | Promise<void>;
}

/** The part of the Web Storage API (localStorage, sessionStorage) the stores use. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Tokens in memory: gone with the client (the default). */
export function memoryTokenStore(): TokenStore {
  const tokens = new Map<string, string>();
  return {
    get: (sessionId) => tokens.get(sessionId) ?? null,
    set: (sessionId, token) => void tokens.set(sessionId, token),
    delete: (sessionId) => void tokens.delete(sessionId),
  };
}

/** Messages in memory: resent after a reconnect, lost with the client (the default). */
export function memoryOutboxStore(): OutboxStore {
  const outboxes = new Map<string, PendingMessage[]>();
  return {
    load: (sessionId) => [...(outboxes.get(sessionId) ?? [])],
    save: (sessionId, messages) => void (messages.length > 0 ? outboxes.set(sessionId, [...messages]) : outboxes.delete(sessionId)),
  };
}

/**
 * Tokens in Web Storage, usually `localStorage` (shared by the origin's tabs,
 * kept across restarts). `prefix` namespaces the keys. A browser app can keep
 * the token out of JS entirely instead: see the client's `auth: 'cookie'`.
 */
export function webStorageTokenStore(storage: StorageLike, prefix = 'websocket-session.token.'): TokenStore {
  return {
    get: (sessionId) => storage.getItem(prefix + sessionId),
    set: (sessionId, token) => storage.setItem(prefix + sessionId, token),
    delete: (sessionId) => storage.removeItem(prefix + sessionId),
  };
}

/**
 * The outbox in Web Storage. Use `sessionStorage`: it survives a reload but
 * is the tab's own, so two tabs of a session never overwrite each other's
 * pending messages (the server's fan-out keeps the tabs in sync).
 */
export function webStorageOutboxStore(storage: StorageLike, prefix = 'websocket-session.outbox.'): OutboxStore {
  return {
    load: (sessionId) => parsePending(storage.getItem(prefix + sessionId)),
    save: (sessionId, messages) => {
      if (messages.length === 0) storage.removeItem(prefix + sessionId);
      else storage.setItem(prefix + sessionId, JSON.stringify(messages));
    },
  };
}

/** Pending messages from stored JSON; anything malformed is dropped, not thrown. */
export function parsePending(json: string | null): PendingMessage[] {
  if (json === null) return [];
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value.filter(
    (item): item is PendingMessage => typeof item?.id === 'string' && typeof item.text === 'string',
  ).map(({ id, text }) => ({ id, text }));
}
