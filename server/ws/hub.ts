import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type ServerOptions } from 'ws';
import { CloseCode, SUBPROTOCOL } from '../../protocol/wire.js';
import type { Config } from '../config.js';
import type { CommitQueue } from '../domain/commit-queue.js';
import { AppError } from '../domain/errors.js';
import type { SessionRecord } from '../domain/model.js';
import type { ConnectionSnapshot, MessageBus, MessageLog } from '../domain/ports.js';
import type { SessionService } from '../domain/session-service.js';
import { logLevelOf } from '../http/log-level.js';
import { toAppError } from '../http/to-app-error.js';
import { writeError } from '../http/write-error.js';
import type { AuthFailureLimiter } from '../ip-limits.js';
import type { HostPolicy } from '../host-policy.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { OriginPolicy } from '../origin-policy.js';
import { SessionConnection, type ConnectionContext } from './connection.js';
import type { CommittedEvent } from './feed.js';
import { echoFrame } from '../domain/presenter.js';
import { createPresence } from './presence.js';
import { createRevocations } from './revocations.js';
import { createWriteCoalescer } from './write-coalescer.js';
import { TokenBucket } from '../domain/rate-limit.js';
import { readUpgrade, type UpgradeRequest } from './upgrade.js';
import { sessionSocketClass } from './session-socket.js';

export type WsLimits = Pick<
  Config,
  | 'maxMessageBytes'
  | 'wsRateLimit'
  | 'maxConnectionsPerSession'
  | 'maxConnections'
  | 'maxConnectionsPerIp'
  | 'heartbeatMs'
  | 'maxBufferedBytes'
  | 'wsMaxFragments'
  | 'wsMaxBufferedChunks'
  | 'wsIpBytesPerSecond'
>;

export interface WsHubDeps {
  sessions: Pick<SessionService, 'authorise' | 'findOpen'>;
  log: MessageLog;
  queue: CommitQueue;
  bus: MessageBus;
  logger: Logger;
  limits: WsLimits;
  originAllowed: OriginPolicy;
  /** Refuses an upgrade whose Host this server does not answer to. */
  hostAllowed: HostPolicy;
  /** The client's IP, by the same rule as HTTP's `ctx.ip` (TRUST_PROXY). */
  clientIp(req: IncomingMessage): string;
  metrics: Metrics;
  /** Failed authentications per IP, shared with HTTP. */
  authFailures: AuthFailureLimiter;
  /** LEGACY_OPEN_SESSIONS: a text-mode upgrade without a token is admitted to an existing session. */
  legacyOpenSessions: boolean;
  /** This node's name on the bus (presence). Default: a random UUID. */
  node?: string;
  /** Between nodes, how often presence counts are republished (and others' expire: presence.ts), in ms; 0 (default): one node. */
  presenceRefreshMs?: number;
}

export type WsHub = ReturnType<typeof createWsHub>;

/**
 * The WebSocket side: authorises upgrades (from any HTTP server that hands
 * them over), keeps the open connections by session, fans echoes out, and
 * pings every socket so dead peers are cut off.
 */
export function createWsHub(deps: WsHubDeps) {
  const { sessions, log, queue, bus, logger, limits, originAllowed, hostAllowed, clientIp, metrics, authFailures, node } = { node: randomUUID(), ...deps };
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: limits.maxMessageBytes,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    // ws >= 8.23: bound the work one message can cause (fragment floods).
    maxFragments: limits.wsMaxFragments,
    maxBufferedChunks: limits.wsMaxBufferedChunks,
    // ws closes refused frames (1009, 1007, 1002, fragment floods) without a reason: this one gives one.
    WebSocket: sessionSocketClass(limits.maxMessageBytes),
  } as ServerOptions);
  const bySession = new Map<number, Set<SessionConnection>>();
  /**
   * Per client IP: its open connections (MAX_CONNECTIONS_PER_IP) and the
   * inbound bytes all of them share (WS_IP_BYTES_PER_SECOND); IPs with no
   * open connection are not kept.
   */
  const byIp = new Map<string, { connections: number; inbound: TokenBucket | null }>();
  const ipBytes = limits.wsIpBytesPerSecond;
  let draining = false;
  /** Past the drain: no message is taken any more (close() sets it, before the last commits). */
  let closing = false;
  let connectionCount = 0;
  let nextConnectionId = 1;

  const revocations = createRevocations();
  const presence = createPresence({
    bus,
    node,
    onChange: (sessionPk, count) => {
      for (const connection of bySession.get(sessionPk) ?? []) connection.onPresence(count);
    },
    refreshMs: deps.presenceRefreshMs ?? 0,
    now: () => performance.now(),
  });
  /** Publishes this node's count of the session's JSON-mode connections. */
  const countJson = (session: SessionRecord, connections: Set<SessionConnection>) => {
    let count = 0;
    // A socket the server is closing no longer counts, though its close handshake is not over.
    for (const c of connections) if (c.mode === 'json' && c.ws.readyState === WebSocket.OPEN) count++;
    presence.local(session.pk, session.id, count);
  };

  const context: ConnectionContext = {
    log,
    queue,
    isClosing: () => closing,
    metrics,
    writes: createWriteCoalescer(),
    limits,
    presence: (sessionPk) => presence.count(sessionPk),
  };

  function attach(ws: WebSocket, socket: Duplex, session: SessionRecord, target: UpgradeRequest, req: IncomingMessage, ip: string): void {
    const { mode, afterSeq, epoch } = target;
    const tokenless = isTokenless(target);
    const connLogger = logger.child({ conn: nextConnectionId++, session: session.id, mode, ...(tokenless ? { tokenless } : {}) });
    let client = byIp.get(ip);
    if (!client) byIp.set(ip, (client = { connections: 0, inbound: ipBytes > 0 ? new TokenBucket(ipBytes, 2 * ipBytes) : null }));
    client.connections++;
    // The token it was authorised with is the session's as read at the upgrade; none for a tokenless one.
    const tokenHashHex = tokenless ? null : session.tokenHash.toString('hex');
    const connection = new SessionConnection(ws, socket, session, tokenHashHex, mode, context, connLogger, client.inbound);
    let connections = bySession.get(session.pk);
    if (!connections) bySession.set(session.pk, (connections = new Set()));
    connections.add(connection);
    connectionCount++;
    if (mode === 'json') ws.once('closing', () => countJson(session, connections));

    ws.on('error', (err) => connLogger.warn({ err: err.message }, 'socket error'));
    ws.once('close', (code, reason) => {
      connections.delete(connection);
      if (connections.size === 0 && bySession.get(session.pk) === connections) bySession.delete(session.pk);
      if (mode === 'json') countJson(session, connections);
      connectionCount--;
      if (--client.connections === 0) byIp.delete(ip);
      connLogger.info({ code, reason: reason.toString() }, 'closed');
    });
    connLogger.info({ req, ip }, 'connected');
    if (tokenless) metrics.tokenlessAdmitted();
    if (tokenHashHex !== null && revocations.has(tokenHashHex)) {
      // Authorised just before its token was revoked: as if it had been open then.
      connection.close(CloseCode.tokenRevoked, 'token_revoked', 'the session token was revoked');
      return;
    }
    if (mode === 'json') countJson(session, connections);
    connection.start(afterSeq, epoch);
  }

  /**
   * The original demo's connection, admitted on the ID alone under
   * LEGACY_OPEN_SESSIONS: text mode and no token at all (a wrong token is
   * still a 401, and JSON mode, which replays history, always needs one).
   */
  function isTokenless(target: UpgradeRequest): boolean {
    // An empty token (`?token=`, `Bearer `) is a client that meant to present one: 401, as without the setting.
    return deps.legacyOpenSessions && target.mode === 'text' && !target.tokenAttempted;
  }

  /** Refuses what the caps and the Origin policy forbid, and what the request itself gets wrong. */
  function screen(req: IncomingMessage, ip: string): UpgradeRequest {
    hostAllowed(req);
    checkCaps(ip);
    if (!originAllowed(req)) throw new AppError('origin_not_allowed', `origin ${req.headers.origin} is not allowed`);
    return readUpgrade(req);
  }

  /** The server-wide and per-IP connection caps. */
  function checkCaps(ip: string): void {
    if (draining) throw new AppError('shutting_down', 'the server is shutting down; retry shortly');
    // Per IP before the total: one client reaches its own cap long before it can fill the server.
    if ((byIp.get(ip)?.connections ?? 0) >= limits.maxConnectionsPerIp) {
      throw new AppError('too_many_ip_connections', `this client has ${limits.maxConnectionsPerIp} open connections already`, {
        'Retry-After': '5',
      });
    }
    if (connectionCount >= limits.maxConnections) {
      throw new AppError('server_full', 'the server has reached its connection limit; retry later', { 'Retry-After': '5' });
    }
  }

  /** The caps again, after the awaits (others may have been admitted meanwhile), and the session's own. */
  function admit(session: SessionRecord, ip: string): void {
    checkCaps(ip);
    if ((bySession.get(session.pk)?.size ?? 0) >= limits.maxConnectionsPerSession) {
      throw new AppError('too_many_connections', `session has ${limits.maxConnectionsPerSession} open connections already`);
    }
  }

  function onSocketError(this: Duplex): void {
    this.destroy();
  }

  // One timer for all sockets: whoever did not answer the last ping is gone.
  const heartbeat = setInterval(() => {
    for (const connections of bySession.values()) for (const connection of connections) connection.heartbeat();
  }, limits.heartbeatMs);
  heartbeat.unref();

  function refuse(req: IncomingMessage, socket: Duplex, err: unknown): void {
    const refusal = toAppError(err);
    const level = logLevelOf(refusal);
    logger[level]({ req, ip: clientIp(req), status: refusal.status, code: refusal.code, err: level === 'error' ? err : undefined }, 'upgrade refused');
    metrics.upgradeRefused(refusal.code);
    writeError(socket, refusal);
  }

  /**
   * Asks the failed-authentication limit (a promise: its store may be
   * shared), reads the request, authorises the session (a promise: the
   * store), then checks the caps and completes the upgrade in one
   * synchronous run, so the caps count every socket admitted.
   */
  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const ip = clientIp(req);
    let target: UpgradeRequest;
    let session: SessionRecord;
    try {
      ({ target, session } = await authFailures.guard(ip, async () => {
        const target = screen(req, ip);
        return { target, session: isTokenless(target) ? await sessions.findOpen(target.sessionId) : await sessions.authorise(target.sessionId, target.token) };
      }));
      admit(session, ip);
    } catch (err) {
      refuse(req, socket, err);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.removeListener('error', onSocketError);
      attach(ws, socket, session, target, req, ip);
    });
  }

  const unsubscribe = bus.subscribe((event) => {
    switch (event.type) {
      case 'committed':
        return fanOut(event);
      case 'deleted':
        // Every node closes the sockets of a session deleted anywhere, once the store says so.
        return void closeIfDeleted(event.sessionPk);
      case 'revoked':
        return closeRevoked(event.sessionPk, event.tokenHash);
      case 'presence':
        return presence.onEvent(event);
      case 'presence-refresh':
        return presence.onRefresh(event);
      default:
        return; // an event of a later kind: not this hub's business
    }
  });

  /** Every node closes the sockets authorised with a token revoked anywhere (4002); the new token's are not touched. */
  function closeRevoked(sessionPk: number, tokenHash: string): void {
    revocations.add(tokenHash);
    for (const connection of bySession.get(sessionPk) ?? []) {
      // A tokenless legacy socket (tokenHashHex null) held no token: revoking one does not concern it (README, Security model).
      if (connection.tokenHashHex === tokenHash) connection.close(CloseCode.tokenRevoked, 'token_revoked', 'the session token was revoked');
    }
  }

  /**
   * A commit of a session: each connection takes it by its cursor (feed.ts).
   * Each echo is serialized once for all of them, and their writes of one
   * commit leave as one write per socket (the write coalescer).
   */
  function fanOut(event: CommittedEvent): void {
    const connections = bySession.get(event.sessionPk);
    if (!connections) return;
    let serialized: string[] | undefined;
    const frames = () => {
      if (serialized) return serialized;
      const messages = event.messages ?? event.unseal?.();
      return messages && (serialized = messages.map((m) => JSON.stringify(echoFrame(event.sessionId, m))));
    };
    for (const connection of connections) connection.onCommitted(event, frames);
  }

  /**
   * Closes a session's sockets if the store no longer has it. Anyone who can
   * reach a cross-node bus can publish a `deleted` (README, Scaling out), so
   * the store decides, asked with the ID the sockets were opened for (never
   * the event's); when it cannot answer, the heal timer asks again.
   */
  async function closeIfDeleted(sessionPk: number): Promise<void> {
    const first = bySession.get(sessionPk)?.values().next().value;
    if (!first) return;
    try {
      if ((await sessions.findOpen(first.session.id)).pk === sessionPk) return; // there still: not deleted
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'session_not_found')) {
        logger.warn({ err, sessionPk }, 'a delete could not be checked against the store; the heal timer checks again');
        return;
      }
    }
    closeSession(sessionPk);
  }

  function closeSession(sessionPk: number): void {
    for (const connection of bySession.get(sessionPk) ?? []) connection.close(CloseCode.sessionDeleted, 'session_not_found', 'session deleted');
  }

  return {
    /** The 'upgrade' listener of every HTTP server that serves /ws/{ID}. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      socket.on('error', onSocketError);
      upgrade(req, socket, head).catch((err: unknown) => {
        logger.error({ err, req }, 'upgrade failed');
        socket.destroy();
      });
    },

    /** The open connections of a session (diagnostics). */
    connections(sessionId: string): ConnectionSnapshot[] {
      for (const connections of bySession.values()) {
        const first = connections.values().next().value;
        if (first?.session.id === sessionId) return [...connections].map((c) => c.snapshot());
      }
      return [];
    },

    /** Every session with connections here, with their snapshots (the heal timer of a cluster reads cursors). */
    sessions() {
      return [...bySession].map(([sessionPk, connections]) => ({
        sessionPk,
        sessionId: connections.values().next().value!.session.id,
        connections: [...connections].map((c) => c.snapshot()),
      }));
    },

    get connectionCount(): number {
      return connectionCount;
    },

    /**
     * Refuses new upgrades from now on (shutdown has begun); the sockets
     * already open are served as ever until `stopTaking`.
     */
    startDraining(): void {
      draining = true;
    },

    /** Takes no more messages (the last commits are flushed next, then `close`). */
    stopTaking(): void {
      draining = true;
      closing = true;
    },

    /**
     * Closes every socket with 1001 and resolves when all are closed; sockets
     * still open at the deadline are terminated.
     */
    async close(deadlineMs: number): Promise<void> {
      draining = true;
      closing = true;
      unsubscribe();
      presence.stop();
      clearInterval(heartbeat);
      const open = [...bySession.values()].flatMap((set) => [...set]);
      const closed = open.map(
        (c) => new Promise<void>((resolve) => (c.ws.readyState === c.ws.CLOSED ? resolve() : c.ws.once('close', () => resolve()))),
      );
      for (const c of open) c.close(CloseCode.goingAway, 'shutting_down', 'server shutting down');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
      await Promise.race([Promise.all(closed), deadline]);
      clearTimeout(timer);
      for (const c of open) c.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
