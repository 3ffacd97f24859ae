import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { startHealer, type Healer } from './bus/heal.js';
import { isClusterBus, openBus } from './bus/index.js';
import { registerBusMetrics } from './bus/metrics.js';
import { createClientIp } from './client-ip.js';
import type { Config } from './config.js';
import { createCommitQueue } from './domain/commit-queue.js';
import { AppError, methodNotAllowed } from './domain/errors.js';
import type { Diagnostics, MessageBus, Store } from './domain/ports.js';
import { createSessionService } from './domain/session-service.js';
import { createApp } from './http/app.js';
import type { RouteEntry } from './http/route-table.js';
import { writeError } from './http/write-error.js';
import type { Logger } from './logger.js';
import { createAuthFailureLimiter, createRegistrationLimiter } from './ip-limits.js';
import { openIpCounters } from './limits/index.js';
import { registerIpLimitMetrics } from './limits/metrics.js';
import { createMetrics } from './metrics.js';
import { allowedHostsFor, createHostPolicy } from './host-policy.js';
import { createOriginPolicy } from './origin-policy.js';
import { deploymentRetention, openStore } from './store/index.js';
import { capSocketsPerIp } from './socket-cap.js';
import { dispatchUpgrades } from './upgrade-dispatch.js';
import { createWsHub } from './ws/hub.js';

export interface RunningServer {
  httpPort: number;
  wsPort: number;
  /** Commit statistics and connection snapshots (operators, tests); read-only. */
  diagnostics: Diagnostics;
  /** The HTTP routes as the routers registered them (the OpenAPI document's coverage test reads them). */
  httpRoutes(): RouteEntry[];
  /** Stops accepting, closes sockets with 1001, flushes writes, closes the store and the bus. */
  close(deadlineMs?: number): Promise<void>;
}

/** What startServer opens itself unless given: tests hand in a store they hold (server/test/sqlite-fixture.ts). */
export interface ServerDeps {
  /** Owned by the server from now on: closed by close(). */
  store?: Store;
  bus?: MessageBus;
}

/** A start-up failure worth one line (a port in use, a bad database path). */
export class StartError extends Error {
  override readonly name = 'StartError';
}

/**
 * Composes store, bus, domain, HTTP app and WebSocket hub and listens on
 * both ports. Tests call this with port 0 and a temp database; main.ts with
 * the config.
 */
export async function startServer(config: Config, logger: Logger, deps: ServerDeps = {}): Promise<RunningServer> {
  let store: Store;
  try {
    store = deps.store ?? (await openStore(config, logger));
  } catch (err) {
    throw new StartError((err as Error).message);
  }
  let bus: MessageBus;
  try {
    bus = deps.bus ?? (await openBus(config, logger, { key: await clusterKeyOf(store, logger) }));
  } catch (err) {
    await store.close();
    throw new StartError((err as Error).message);
  }
  let draining = false;
  const metrics = createMetrics({
    openConnections: () => hub.connectionCount,
    dbSizeBytes: () => store.health.sizeBytes(),
    diskFreeBytes: () => store.health.diskFreeBytes(),
    searchIndexLag: () => store.search.indexLag(),
  });
  const queue = createCommitQueue(store.messages, bus, { onCommit: metrics.committed });
  const sessions = createSessionService({ store, bus, queue, logger });
  // Registrations and failed authentications count per IP across the cluster when it has a shared store (limits/).
  const ipCounters = await openIpCounters(config, store, logger);
  registerIpLimitMetrics(metrics.registry, ipCounters);
  const authFailures = createAuthFailureLimiter(config.authFailureLimit, ipCounters.counters);
  const registrations = createRegistrationLimiter(config.registerRateLimit, ipCounters.counters);
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
  const hub = createWsHub({
    sessions,
    log: store.messages,
    queue,
    bus,
    logger,
    limits: config,
    originAllowed,
    hostAllowed,
    clientIp,
    metrics,
    authFailures,
    legacyOpenSessions: config.legacyOpenSessions,
    // Presence counts are published per node: the cluster bus's name, so logs and counts agree.
    // Between nodes, counts are republished every heal interval and a dead node's expire (ws/presence.ts).
    ...(isClusterBus(bus) ? { node: bus.nodeId, presenceRefreshMs: config.healIntervalMs } : {}),
  });

  // Between nodes, hints can be lost: the heal timer and a resync after each bus reconnect repair it (bus/heal.ts).
  let healer: Healer | undefined;
  if (isClusterBus(bus)) {
    healer = startHealer({ bus, log: store.messages, tokens: store.sessions, sessions: () => hub.sessions(), logger }, config.healIntervalMs);
    registerBusMetrics(metrics.registry, bus, healer);
  }

  const app = createApp({
    store,
    sessions,
    logger,
    staticDir: config.staticDir,
    wsPort: () => boundWsPort,
    maxBodyBytes: config.maxBodyBytes,
    registrations,
    authFailures,
    metricsToken: config.metricsToken,
    originAllowed,
    metrics,
    isDraining: () => draining,
    retentionDefaults: deploymentRetention(config),
    hostAllowed,
    allowedHosts,
    trustProxy: config.trustProxy,
    clientIp,
    serveSourceMaps: config.serveSourceMaps,
    legacyOpenSessions: config.legacyOpenSessions,
  });

  // Node checks request timeouts on this interval; make it fine enough for the configured ones.
  // Host is checked by the host policy, which answers a missing one with the JSON refusal (Node's own has no body).
  const serverOptions = { connectionsCheckingInterval: Math.min(1000, Math.ceil(config.headersTimeoutMs / 4)), requireHostHeader: false };
  const httpServer = createServer(serverOptions, app.callback());
  // The WebSocket port answers plain HTTP with 426, like any WebSocket-only endpoint.
  const wsServer = createServer(serverOptions, (_req, res) => {
    // `close` too: a Connection header set here overrides Node's own, and a client that asked to close must see it done.
    const headers = { Upgrade: 'websocket', Connection: 'Upgrade, close' };
    writeError(res, new AppError('upgrade_required', 'this port speaks WebSocket: ws://host:port/ws/{ID}', headers));
  });
  for (const server of [httpServer, wsServer]) {
    // Slowloris guard: a client must send its headers, and its whole request, in time.
    server.headersTimeout = config.headersTimeoutMs;
    server.requestTimeout = config.requestTimeoutMs;
    dispatchUpgrades(server, hub.handleUpgrade);
    // CONNECT asks for a tunnel: this is no proxy (Node would drop the socket without a word). Allow names
    // what the port serves: the app's GET and HEAD, or on the WebSocket port the upgrade's GET (all else is 426).
    const allowed = server === wsServer ? ['GET'] : ['GET', 'HEAD'];
    server.on('connect', (_req: IncomingMessage, socket: Duplex) => writeError(socket, methodNotAllowed(allowed)));
    server.on('clientError', answerClientError);
    // An Expect other than 100-continue: Node's own 417 has no body; give the API's.
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
      writeError(res, new AppError('expectation_failed', `Expect: ${req.headers.expect} is not supported (only 100-continue)`));
    });
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
    await healer?.stop();
    await hub.close(0);
    await store.close();
    await bus.close();
    await ipCounters.close();
    throw err;
  }
  store.retention.start(config.retentionIntervalMs);
  if (config.legacyOpenSessions) {
    logger.warn(
      { setting: 'LEGACY_OPEN_SESSIONS' },
      'LEGACY_OPEN_SESSIONS is on: a text-mode WebSocket without a token is admitted to any existing session ID, so whoever knows an ID can add messages to its history (not read it); GET /stream answers cross-origin fetches from ALLOWED_ORIGINS',
    );
  }

  let closing: Promise<void> | undefined;
  async function close(deadlineMs = 4000): Promise<void> {
    draining = true;
    hub.startDraining();
    // Load balancers see /readyz turn 503 and move traffic away before the listeners close.
    if (config.shutdownDrainMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
    const serversClosed = Promise.all([httpServer, wsServer].map((s) => new Promise((r) => s.close(r))));
    httpServer.closeIdleConnections();
    // Commit and echo what was taken in (during the drain, open sockets were served as ever); nothing more is taken.
    hub.stopTaking();
    await queue.drain();
    await healer?.stop();
    await hub.close(deadlineMs);
    httpServer.closeAllConnections();
    wsServer.closeAllConnections();
    await serversClosed;
    await store.close();
    await bus.close();
    await ipCounters.close();
  }

  return {
    httpPort: boundHttpPort,
    wsPort: boundWsPort,
    diagnostics: {
      commits: () => ({ ...queue.stats }),
      connections: (sessionId) => hub.connections(sessionId),
      sessions: () => hub.sessions(),
    },
    httpRoutes: () => app.routes(),
    close: (deadlineMs) => (closing ??= close(deadlineMs)),
  };
}

/** A request Node could not parse or that took too long: a short JSON answer, then close. */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const refusal =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? new AppError('request_timeout', 'the request took too long to arrive')
    : err.code === 'HPE_HEADER_OVERFLOW' ? new AppError('headers_too_large', 'the request headers are too large')
    : new AppError('bad_request', 'the request is not valid HTTP');
  writeError(socket, refusal);
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

/**
 * The store's cluster key, or undefined when it has none or it cannot be
 * read (the row deleted, no privilege on bus_key): the node then runs with
 * hints alone, correct and one read slower per hint, and says so once.
 */
async function clusterKeyOf(store: Store, logger: Logger): Promise<Buffer | undefined> {
  try {
    return await store.clusterKey?.();
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'cluster key unreadable: hints to other nodes go without their messages (each receiver reads them from the store)');
    return undefined;
  }
}
