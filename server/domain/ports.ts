/**
 * The interfaces the domain owns and the transport uses: a `Store` (sessions,
 * message log, search, health, retention) and a `MessageBus`. Adapters live
 * under server/store/<engine>/ and server/bus/<engine>/ and `satisfies`
 * these; a storage fault leaves an adapter only as StorageUnavailableError
 * (domain/errors.ts).
 *
 * Reads are Promises. `MessageLog.append` may settle synchronously (an
 * embedded engine commits in the same turn, so group commit adds no tick);
 * callers handle both (`result instanceof Promise`).
 */
import type {
  AppendInput,
  AppendOutcome,
  MessagePage,
  RetentionLimits,
  SearchPage,
  SessionRecord,
  StoredMessage,
} from './model.js';

export interface SessionRepository {
  /** The session with this public ID; undefined when there is none. */
  findById(id: string): Promise<SessionRecord | undefined>;
  /** Creates the session; undefined when the ID is taken. */
  create(id: string, tokenHash: Buffer, createdAt: number): Promise<SessionRecord | undefined>;
  /**
   * Deletes the session: committed when this resolves, its history
   * unreachable at once (reads, search, appends), its rows purged later by
   * the retention runner. False when it was already gone.
   */
  delete(pk: number): Promise<boolean>;
  setRetention(pk: number, limits: RetentionLimits): Promise<void>;
  /**
   * Replaces the session's token hash with `next`, only if it is still
   * `current` (compare-and-set: of two revocations with the same token, one
   * wins). False when it was not (replaced meanwhile, or the session is gone).
   */
  replaceTokenHash(pk: number, current: Buffer, next: Buffer): Promise<boolean>;
  /** The token hash of each of these sessions that exists, in one read (a missing key: deleted); the heal timer's. */
  tokenHashes(pks: readonly number[]): Promise<Map<number, Buffer>>;
  /** Sessions after `afterPk` in key order, `limit` at a time (background jobs walk them in pages). */
  pageAfter(afterPk: number, limit: number): Promise<SessionRecord[]>;
}

export interface MessageLog {
  /**
   * Appends a batch in one transaction and returns one outcome per input, in
   * order: a result (stored, or found stored by its client id), or an error
   * for an append refused on its own (the session's storage budget, a deleted
   * session) while the others are stored. Seqs of a session are contiguous
   * within a batch. Throws (or rejects) StorageUnavailableError, having
   * written nothing, on any storage fault.
   */
  append(items: readonly AppendInput[]): AppendOutcome[] | Promise<AppendOutcome[]>;
  /** Highest seq ever assigned in the session (retention never lowers it); 0 when none. */
  lastSeq(sessionPk: number): Promise<number>;
  /** lastSeq of each of these sessions that exists, in one read (a missing key: deleted); the heal timer's. */
  lastSeqs(sessionPks: readonly number[]): Promise<Map<number, number>>;
  /** Up to `limit` messages with seq > afterSeq, ascending. */
  after(sessionPk: number, afterSeq: number, limit: number): Promise<StoredMessage[]>;
  /** The page of up to `limit` messages with seq < before, ascending; `hasMore`: older ones exist. */
  page(sessionPk: number, before: number, limit: number): Promise<MessagePage>;
}

export interface MessageSearch {
  /**
   * Full-text search in one session: best matches first, `limit` from
   * `offset`. Any text is a valid query (none of it is syntax). Snippets come
   * split into parts: no marker characters leave the adapter.
   */
  search(sessionPk: number, query: string, limit: number, offset: number): Promise<SearchPage>;
  /**
   * Resolves once every message committed and every delete made before the
   * call is in the index: on SQLite the index is written behind the commits
   * (server/store/sqlite/search-index.ts); on PostgreSQL in the commit
   * itself, so at once. A search needs no call first: it always finds what
   * was committed before it. Rejects when the index cannot be written.
   */
  indexed(): Promise<void>;
  /**
   * How far the index is behind the messages, in message ids (the newest
   * id minus the newest indexed): 0 when it is caught up, and always on a
   * store that indexes in the commit; null while it is not known yet (the
   * SQLite index's worker starting). A gauge for /metrics.
   */
  indexLag(): Promise<number | null>;
}

export interface StoreHealth {
  /** The storage answers a query (liveness). */
  isHealthy(): Promise<boolean>;
  /** A real write commits now (readiness: not read-only, locked, full, or under the free-disk floor). */
  isWritable(): Promise<boolean>;
  /** Bytes the storage takes (metrics). */
  sizeBytes(): Promise<number>;
  /** Free bytes on the storage's disk at the last measurement; null when the adapter does not measure it. */
  diskFreeBytes(): number | null;
}

export interface RetentionRunner {
  /**
   * One pass: purges the rows of deleted sessions, then deletes messages past
   * their age or count limits, in small transactions; resolves with the number
   * of messages deleted. Concurrent calls share the pass in progress.
   */
  runOnce(): Promise<number>;
  /**
   * Purges the rows of deleted sessions only (what a delete leaves), in
   * small transactions; resolves with the number of messages removed. A call
   * during a purge in progress shares it, and it looks again for deleted
   * sessions before it ends. On a store shared by nodes, a node that finds
   * another purging or running a pass skips it (0): that one, or the next
   * pass, purges them.
   */
  purgeDeleted(): Promise<number>;
  /** Runs a pass every `intervalMs` (never two at once). */
  start(intervalMs: number): void;
  /**
   * Stops the timer; a pass or purge in progress ends after its current
   * batch (a shutdown does not wait for a backlog: the next start's first
   * pass goes on from there). Resolves once it has.
   */
  stop(): Promise<void>;
}

export interface Store {
  sessions: SessionRepository;
  messages: MessageLog;
  search: MessageSearch;
  health: StoreHealth;
  retention: RetentionRunner;
  /**
   * Window counters kept in the store, shared by every node on it (per-IP
   * limits that must hold across a cluster); absent when the store serves one
   * node only (SQLite: the counters stay in memory).
   */
  windowCounters?: WindowCounters;
  /**
   * The 32-byte key the nodes on this store share, to seal what they send each
   * other on the bus (bus/seal.ts); absent when the store serves one node only.
   */
  clusterKey?(): Promise<Buffer>;
  /** Stops background work and closes the storage. */
  close(): Promise<void>;
}

/** A key's count in its current window. */
export interface WindowCount {
  /** Points counted in the window so far. */
  points: number;
  /** ms until the window ends and the count starts again from 0. */
  msLeft: number;
}

/**
 * Counts per key (a client IP) in fixed windows: a window starts with the
 * key's first point and lasts `windowMs`. The per-IP limits of
 * ../ip-limits.ts count through this port; adapters keep the counts in
 * memory (one node) or in a store every node shares (server/limits/).
 * A store that fails rejects: the caller decides what that means.
 */
export interface WindowCounter {
  /** Adds `points` to `key`'s count, starting a window when it has none; resolves to the count after it. */
  add(key: string, points: number): Promise<WindowCount>;
  /** `key`'s count now; null when it has no window open. */
  get(key: string): Promise<WindowCount | null>;
}

/** The counter of one limit: `name` keeps its keys apart from other limits' (letters, digits, _). */
export type WindowCounters = (name: string, windowMs: number) => WindowCounter;

/**
 * What happened to a session, for every node that holds its sockets.
 * `committed`: seqs fromSeq..toSeq were committed; `messages` carries their
 * bodies on the node that committed them; on another node `unseal` may give
 * them (the bus brought them sealed: bus/seal.ts); without them a receiver reads the range
 * from the store. Either way the store is the truth: a connection takes an
 * event only when it continues its cursor. `deleted`: the
 * session's delete committed. `revoked`: the session's token was replaced;
 * sockets authorised with the token whose SHA-256 is `tokenHash` (hex) are
 * closed (the hash of the old token, never a token: order-independent, and
 * a socket of the new token is never hit). `presence`: node `node` now holds
 * `count` JSON-mode connections of the session (0: none); a session's
 * presence is the sum over nodes (ws/presence.ts). `presence-refresh`: node
 * `node` still holds these counts ([sessionPk, count] pairs), republished
 * every heal interval so that the counts of a node that died expire
 * (ws/presence.ts). Handlers ignore types
 * they do not know, so later kinds are added without breaking them.
 */
/** A `committed` event. */
export type CommittedEvent = Extract<BusEvent, { type: 'committed' }>;

export type BusEvent =
  | {
      type: 'committed';
      sessionPk: number;
      sessionId: string;
      fromSeq: number;
      toSeq: number;
      messages?: readonly StoredMessage[];
      /**
       * From another node: its messages as the bus brought them sealed,
       * opened on the first call (so a node with no connection that takes
       * them never pays for it); undefined when they do not open.
       */
      unseal?(): readonly StoredMessage[] | undefined;
    }
  | { type: 'deleted'; sessionPk: number; sessionId: string }
  | { type: 'revoked'; sessionPk: number; sessionId: string; tokenHash: string }
  | { type: 'presence'; sessionPk: number; sessionId: string; node: string; count: number }
  | { type: 'presence-refresh'; node: string; counts: ReadonlyArray<readonly [sessionPk: number, count: number]> };

export type BusHandler = (event: BusEvent) => void;

export interface MessageBus {
  /** Hands the event to every subscriber (an in-process bus: synchronously, before it returns). */
  publish(event: BusEvent): void;
  /** Subscribes to the events published from now on; returns the unsubscribe function. */
  subscribe(handler: BusHandler): () => void;
  close(): Promise<void>;
}

/** An open WebSocket as diagnostics show it. */
export interface ConnectionSnapshot {
  mode: 'text' | 'json';
  /** Highest seq sent to this connection (JSON mode). */
  cursor: number;
  /** A replay or catch-up from the store is running: live events wait for it. */
  replaying: boolean;
  /** Bytes buffered for the socket, not yet taken by the kernel. */
  bufferedAmount: number;
  /** Left more than MAX_BUFFERED_BYTES unread: paused until its socket drains, then caught up from the store. */
  behind: boolean;
  /** Its client IP is over WS_IP_BYTES_PER_SECOND: not read from until the IP's debt is paid. */
  throttled: boolean;
  /** SHA-256 of the token it was authorised with, hex; null for a tokenless legacy socket. */
  tokenHash: string | null;
}

/** What a running server shows of itself to operators and tests; nothing in it changes state. */
export interface Diagnostics {
  /** Committed batches and the appends in them, since start. */
  commits(): { batches: number; appends: number };
  /** The open connections of a session. */
  connections(sessionId: string): ConnectionSnapshot[];
  /** Every session with connections open on this node, with them (the heal timer of a cluster). */
  sessions(): Array<{ sessionPk: number; sessionId: string; connections: ConnectionSnapshot[] }>;
}

/** The logging the domain needs (pino's Logger has it). */
export interface DomainLogger {
  info(obj: object, message: string): void;
  warn(obj: object, message: string): void;
  error(obj: object, message: string): void;
}
