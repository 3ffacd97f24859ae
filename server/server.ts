import { STATUS_CODES, createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { CloseCode } from '../protocol/wire.js';
import { createClientIp } from './client-ip.js';
import type { Config } from './config.js';
import { methodNotAllowed } from './domain/errors.js';
import { createApp } from './http/app.js';
import type { Logger } from './logger.js';
import { createAuthFailureLimiter } from './ip-limits.js';
import { createMetrics } from './metrics.js';
import { allowedHostsFor, createHostPolicy } from './host-policy.js';
import { createOriginPolicy } from './origin-policy.js';
import { createCommitQueue, type CommitQueue } from './store/commit-queue.js';
import { openDatabase, type Db } from './store/database.js';
import { createDiskGuard } from './store/disk-guard.js';
import { createStore, type Store } from './store/index.js';
import { createRetention, type Retention } from './store/retention.js';
import type { SessionRecord } from './store/session-repo.js';
import { capSocketsPerIp } from './socket-cap.js';
import { dispatchUpgrades } from './upgrade-dispatch.js';
import { createWsHub, type WsHub } from './ws/hub.js';
import { refuseUpgrade } from './ws/upgrade.js';

export interface RunningServer {
  httpPort: number;
  wsPort: number;
  store: Store;
  hub: WsHub;
  queue: CommitQueue;
  retention: Retention;
  /** Stops accepting, closes sockets with 1001, flushes writes, closes the DB. */
  close(deadlineMs?: number): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** How often free disk space is measured (MIN_FREE_DISK_BYTES): one statfs a second, never per message. */
const DISK_CHECK_INTERVAL_MS = 1000;
/** Messages deleted per retention transaction. */
const RETENTION_BATCH = 500;

/** A start-up failure worth one line (a port in use, a bad database path). */
export class StartError extends Error {
  override readonly name = 'StartError';
}

/**
 * Composes store, HTTP app and WebSocket hub and listens on both ports.
 * Tests call this with port 0 and a temp database; main.ts with the config.
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  let db: Db;
  try {
    db = openDatabase(config.dbPath, { synchronous: config.dbSync });
  } catch (err) {
    throw new StartError(`cannot open DB_PATH "${config.dbPath}": ${(err as Error).message}`);
  }
  const disk = createDiskGuard({ dbPath: config.dbPath, minFreeBytes: config.minFreeDiskBytes, intervalMs: DISK_CHECK_INTERVAL_MS, logger });
  const store = createStore(db, { maxSessionBytes: config.maxSessionBytes, writeRefusal: disk.refusal });
  let draining = false;
  const metrics = createMetrics({
    openConnections: () => hub.connectionCount,
    dbSizeBytes: () => store.sizeBytes(),
    diskFreeBytes: () => disk.freeBytes,
  });
  const queue = createCommitQueue(store.messages, { onCommit: metrics.committed, refusal: disk.refusal });
  const authFailures = createAuthFailureLimiter(config.authFailureLimit);
  const retentionDefaults = { maxAgeMs: config.retentionMaxAgeDays * DAY_MS, maxMessages: config.retentionMaxMessages };
  const retention = createRetention(
    { db, sessions: store.sessions, messages: store.messages, logger },
    { ...retentionDefaults, batchSize: RETENTION_BATCH, now: Date.now },
  );
  // Ports as bound: with 0 in the config they are known only after listening.
  let boundHttpPort = config.httpPort;
  let boundWsPort = config.wsPort;
  const allowedHosts = allowedHostsFor(config.allowedHosts, config.host);
  const hostAllowed = createHostPolicy(allowedHosts);
  const originAllowed = createOriginPolicy({
    allowedOrigins: config.allowedOrigins,
    allowedHosts,
    httpPort: () => boundHttpPort,
    devPort: config.devOrigins ? config.vitePort : null,
    behindProxy: config.trustProxy !== false,
  });
  const clientIp = createClientIp(config.trustProxy);
  const hub = createWsHub({ store, queue, logger, limits: config, originAllowed, hostAllowed, clientIp, metrics, authFailures });

  function deleteSession(session: SessionRecord): void {
    // The delete commits first: if it fails (the database is locked, read-only),
    // it throws with nothing else changed, sockets and pending messages included.
    store.deleteSession(session.pk);
    // Then, in the same synchronous run, so no append of the session can slip in:
    // its sockets close (before their pending messages fail, so they hear 4001)...
    hub.closeSession(session.pk, CloseCode.sessionDeleted, 'session deleted');
    queue.discardSession(session.pk, new Error('session deleted'));
    // ...and its rows are purged now rather than at the next scheduled pass.
    retention.runOnce().catch((err: unknown) => logger.error({ err }, 'purge of a deleted session failed'));
  }

  const app = createApp({
    store,
    logger,
    staticDir: config.staticDir,
    wsPort: () => boundWsPort,
    maxBodyBytes: config.maxBodyBytes,
    registerRateLimit: config.registerRateLimit,
    authFailures,
    metricsToken: config.metricsToken,
    originAllowed,
    metrics,
    isDraining: () => draining,
    retentionDefaults,
    deleteSession,
    hostAllowed,
    allowedHosts,
    trustProxy: config.trustProxy,
    clientIp,
    serveSourceMaps: config.serveSourceMaps,
  });

  // Node checks request timeouts on this interval; make it fine enough for the configured ones.
  const serverOptions = { connectionsCheckingInterval: Math.min(1000, Math.ceil(config.headersTimeoutMs / 4)) };
  const httpServer = createServer(serverOptions, app.callback());
  // The WebSocket port answers plain HTTP with 426, like any WebSocket-only endpoint.
  const wsServer = createServer(serverOptions, (_req, res) => {
    const body = JSON.stringify({ error: { code: 'upgrade_required', message: 'this port speaks WebSocket: ws://host:port/ws/{ID}' } });
    // `close` too: a Connection header set here overrides Node's own, and a client that asked to close must see it done.
    res.writeHead(426, { 'Content-Type': 'application/json; charset=utf-8', Upgrade: 'websocket', Connection: 'Upgrade, close' });
    res.end(body);
  });
  for (const server of [httpServer, wsServer]) {
    // Slowloris guard: a client must send its headers, and its whole request, in time.
    server.headersTimeout = config.headersTimeoutMs;
    server.requestTimeout = config.requestTimeoutMs;
    dispatchUpgrades(server, hub.handleUpgrade);
    // CONNECT asks for a tunnel: this is no proxy (Node would drop the socket without a word).
    server.on('connect', (_req: IncomingMessage, socket: Duplex) => refuseUpgrade(socket, methodNotAllowed(['GET', 'HEAD'])));
    server.on('clientError', answerClientError);
  }

  capSocketsPerIp([httpServer, wsServer], config.maxSocketsPerIp, logger);

  // The WebSocket port first, so its number is known before the HTTP port
  // takes a request (the CSP names it).
  try {
    await listen(wsServer, config.wsPort, config.host, 'WS_PORT');
    boundWsPort = (wsServer.address() as AddressInfo).port;
    await listen(httpServer, config.httpPort, config.host, 'HTTP_PORT');
    boundHttpPort = (httpServer.address() as AddressInfo).port;
  } catch (err) {
    wsServer.close();
    db.close();
    throw err;
  }
  retention.start(config.retentionIntervalMs);
  disk.start();

  let closing: Promise<void> | undefined;
  async function close(deadlineMs = 4000): Promise<void> {
    draining = true;
    hub.startDraining();
    // Load balancers see /readyz turn 503 and move traffic away before the listeners close.
    if (config.shutdownDrainMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
    const serversClosed = Promise.all([httpServer, wsServer].map((s) => new Promise((r) => s.close(r))));
    httpServer.closeIdleConnections();
    // Commit and echo what was taken in; while draining, nothing more is taken.
    queue.flush();
    await hub.close(deadlineMs);
    httpServer.closeAllConnections();
    wsServer.closeAllConnections();
    await serversClosed;
    await retention.stop();
    disk.stop();
    db.close();
  }

  return {
    httpPort: boundHttpPort,
    wsPort: boundWsPort,
    store,
    hub,
    queue,
    retention,
    close: (deadlineMs) => (closing ??= close(deadlineMs)),
  };
}

/** A request Node could not parse or that took too long: a short JSON answer, then close. */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const [status, code, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'request_timeout', 'the request took too long to arrive']
    : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'headers_too_large', 'the request headers are too large']
    : [400, 'bad_request', 'the request is not valid HTTP'];
  if (socket.writable) {
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  } else {
    socket.destroy();
  }
}

function listen(server: Server, port: number, host: string, setting: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const reason =
        err.code === 'EADDRINUSE' ? 'is already in use'
        : err.code === 'EACCES' ? 'needs privileges this process lacks'
        : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' ? `cannot be bound on HOST "${host}"`
        : `cannot be listened on (${err.code ?? err.message})`;
      reject(new StartError(`${setting} ${port} ${reason}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}
