import type { CommitQueue } from './commit-queue.js';
import { AppError, conflict, notFound, unauthorized } from './errors.js';
import { SessionGoneError, type RetentionLimits, type SessionRecord } from './model.js';
import type { DomainLogger, MessageBus, Store } from './ports.js';
import { generateSessionId } from './session-id.js';
import { generateToken, hashToken, tokenMatches } from './token.js';

export interface SessionServiceDeps {
  store: Store;
  bus: MessageBus;
  /** Pending appends of a deleted session are dropped from it. */
  queue: Pick<CommitQueue, 'discardSession'>;
  logger: DomainLogger;
  now?: () => number;
}

export interface Registration {
  session: SessionRecord;
  /** The session's token: new when `created`, else the one presented. */
  token: string;
  created: boolean;
}

/** Tries generated IDs until one is free: 96 random bits make a retry very unlikely. */
const GENERATE_ATTEMPTS = 5;

export type SessionService = ReturnType<typeof createSessionService>;

/**
 * The session use cases, whatever the transport: register (or rejoin),
 * authorise a token, delete, set retention. Routes and the WebSocket upgrade
 * call these; the store and the bus are ports.
 */
export function createSessionService({ store, bus, queue, logger, now = Date.now }: SessionServiceDeps) {
  const taken = (id: string) => conflict('session_exists', `session ID "${id}" is taken; choose another, or present its token`);

  return {
    /**
     * Creates the session `requestedId`, or one with a generated ID. An ID
     * that exists is a 409 `session_exists` without `rejoinToken`; with it,
     * the session as it is (rejoin: an invite link, a browser's cookie) when
     * it is its token, else 401 `unauthorized` (a revoked link or cookie).
     * Throws 503 `id_generation_failed` when no generated ID was free.
     */
    async register(requestedId: string | undefined, rejoinToken: string | undefined): Promise<Registration> {
      if (requestedId !== undefined) {
        const existing = await store.sessions.findById(requestedId);
        if (existing) {
          if (rejoinToken === undefined) throw taken(requestedId);
          if (!tokenMatches(rejoinToken, existing.tokenHash)) {
            throw unauthorized(`the token presented is not session "${requestedId}"'s (revoked, or another session's)`);
          }
          return { session: existing, token: rejoinToken!, created: false };
        }
      }
      const token = generateToken();
      const tokenHash = hashToken(token);
      for (let attempt = 0; attempt < GENERATE_ATTEMPTS; attempt++) {
        const created = await store.sessions.create(requestedId ?? generateSessionId(), tokenHash, now());
        if (created) return { session: created, token, created: true };
        if (requestedId !== undefined) break;
      }
      throw requestedId === undefined ? new AppError('id_generation_failed', 'could not generate a free session ID; retry') : taken(requestedId);
    },

    /** The session, if it exists and `token` is its own: else 404 `session_not_found` or 401 `unauthorized`. */
    async authorise(sessionId: string, token: string | undefined): Promise<SessionRecord> {
      const session = await store.sessions.findById(sessionId);
      if (!session) throw notFound('session_not_found', `no session with ID "${sessionId}"`);
      if (!token) throw unauthorized(`session "${sessionId}" needs its token (cookie, Bearer header or ?token=)`);
      if (!tokenMatches(token, session.tokenHash)) throw unauthorized(`wrong token for session "${sessionId}"`);
      return session;
    },

    /**
     * The session, if it exists, with no token asked: the original demo's
     * trust in the ID alone, for text-mode upgrades under LEGACY_OPEN_SESSIONS
     * only. Throws 404 `session_not_found` for an ID that does not exist (an
     * open session is never created by connecting).
     */
    async findOpen(sessionId: string): Promise<SessionRecord> {
      const session = await store.sessions.findById(sessionId);
      if (!session) throw notFound('session_not_found', `no session with ID "${sessionId}"`);
      return session;
    },

    /**
     * Deletes the session, in this order:
     * 1. the delete commits; if it cannot (StorageUnavailableError), nothing
     *    else happens: the session, its sockets and their pending messages stay;
     * 2. `deleted` goes out on the bus: every node closes the session's
     *    sockets with 4001 (before their pending messages fail, so they hear why);
     * 3. the pending appends of the session are dropped;
     * 4. its rows are purged now rather than at the next retention pass (the
     *    purge of deleted sessions alone: the other sessions' retention waits
     *    for its pass).
     * Nothing can commit for the session between 1 and 3: with an embedded
     * store the delete settles at once and 2 and 3 run before any I/O callback
     * (the commit queue flushes on setImmediate); with any store an append
     * to a deleted session is refused (SessionGoneError), never stored.
     */
    async delete(session: SessionRecord): Promise<void> {
      await store.sessions.delete(session.pk);
      bus.publish({ type: 'deleted', sessionPk: session.pk, sessionId: session.id });
      queue.discardSession(session.pk, new SessionGoneError());
      store.retention.purgeDeleted().catch((err: unknown) => logger.error({ err }, 'purge of a deleted session failed'));
    },

    /**
     * Gives the session a new token (revocation): every link and cookie of
     * the old one stops working (401), and `closeOldSockets` publishes
     * `revoked`, on which every node closes the sockets authorised with the
     * old token (4002). The caller calls it once its answer, carrying the new
     * token, is out: the revoking browser's other tabs then reconnect with
     * the new cookie. `session` is as `authorise` returned it; if its token
     * was replaced meanwhile (a concurrent revocation), 401.
     */
    async revokeToken(session: SessionRecord): Promise<Registration & { closeOldSockets(): void }> {
      const token = generateToken();
      const tokenHash = hashToken(token);
      if (!(await store.sessions.replaceTokenHash(session.pk, session.tokenHash, tokenHash))) {
        throw unauthorized(`the token of session "${session.id}" was replaced meanwhile`);
      }
      const revoked = session.tokenHash.toString('hex');
      return {
        session: { ...session, tokenHash },
        token,
        created: false,
        closeOldSockets: () => bus.publish({ type: 'revoked', sessionPk: session.pk, sessionId: session.id, tokenHash: revoked }),
      };
    },

    /** Sets the session's own retention limits; returns the session as it is now. */
    async setRetention(session: SessionRecord, limits: RetentionLimits): Promise<SessionRecord> {
      await store.sessions.setRetention(session.pk, limits);
      return { ...session, retention: limits };
    },
  };
}
