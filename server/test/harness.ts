import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { DestinationStream } from 'pino';
import { WebSocket } from 'ws';
import { loadConfig, type Config } from '../config.js';
import { createLogger } from '../logger.js';
import { openBus } from '../bus/index.js';
import type { MessageBus, Store } from '../domain/ports.js';
import { startServer, type RunningServer } from '../server.js';
import { SUBPROTOCOL, type ApiError, type HistoryPage, type RegisteredSession } from '../../protocol/wire.js';
import { withDb, type SqliteFixture } from './sqlite-fixture.js';
import { openTestStore } from './store-fixture.js';
import { admin } from './services/postgres.js';

export interface TestServer extends RunningServer, Omit<SqliteFixture, 'store'> {
  config: Config;
  httpUrl: string;
  wsUrl: string;
  /** The store the server runs on, opened by the test (sqlite-fixture.ts). */
  store: Store;
  /** The server's bus: a test may publish on it as another node would. */
  bus: MessageBus;
  /** Closes and starts again on the same ports and database file. */
  restart(): Promise<TestServer>;
}

/** A temp folder removed by the returned function. */
export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'wss-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The real server on loopback, port 0, with a database file in `dir` (or a PostgreSQL database: store-fixture.ts). */
export async function startTestServer(
  dir: string,
  overrides: Partial<Config> = {},
  logDestination?: DestinationStream,
): Promise<TestServer> {
  const loaded = loadConfig({}, []);
  if (loaded.help) throw new Error('unreachable');
  const asked: Config = {
    ...loaded.config,
    httpPort: 0,
    wsPort: 0,
    host: '127.0.0.1',
    dbPath: join(dir, 'app.db'),
    logLevel: 'silent',
    staticDir: join(dir, 'no-static'),
    // Most tests send, register and fail to authenticate faster than a person
    // would; the limit tests set these back.
    wsRateLimit: 0,
    registerRateLimit: 0,
    authFailureLimit: 0,
    ...overrides,
  };
  const logger = createLogger({ level: asked.logLevel, format: 'json', ...(logDestination ? { destination: logDestination } : {}) });
  const { store: fixture, config } = await openTestStore(asked, logger);
  const bus = await openBus(config, logger, { key: await fixture.store.clusterKey?.() });
  const server = await startServer(config, logger, { store: fixture.store, bus });
  let restarting = false;
  const self: TestServer = {
    ...server,
    ...fixture,
    bus,
    config,
    httpUrl: `http://127.0.0.1:${server.httpPort}`,
    wsUrl: `ws://127.0.0.1:${server.wsPort}`,
    async close(deadlineMs) {
      await server.close(deadlineMs);
      if (!restarting) await fixture.dispose();
    },
    async restart() {
      restarting = true;
      await server.close();
      // Same ports and the same database (a PostgreSQL one is dropped by the first server's close()).
      const next = await startTestServer(dir, { ...overrides, httpPort: server.httpPort, wsPort: server.wsPort, databaseUrl: config.databaseUrl }, logDestination);
      const close = next.close;
      return Object.assign(next, {
        async close(deadlineMs?: number) {
          await close(deadlineMs);
          await fixture.dispose();
        },
      });
    },
  };
  return self;
}

/** Registers a session over HTTP (on an in-process or child-process server); throws unless the answer is 201. */
export async function register(server: { httpUrl: string }, id?: string): Promise<RegisteredSession> {
  const res = await fetch(`${server.httpUrl}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(id === undefined ? {} : { id }),
  });
  if (res.status !== 201) throw new Error(`register ${id}: ${res.status} ${await res.text()}`);
  return (await res.json()) as RegisteredSession;
}

/**
 * A ws client that queues every message it receives, so a test can await the
 * next one without racing the event. Awaiting a message on a closed socket
 * rejects at once instead of hanging until the test timeout. Presence frames
 * (another tab came or went) are left out unless `presence` is asked for, so
 * a test about echoes reads echoes whoever else connects.
 */
export class TestClient {
  readonly ws: WebSocket;
  private readonly inbox: string[] = [];
  private waiters: Array<{ resolve(message: string): void; reject(err: Error): void }> = [];
  private closeCode: number | undefined;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, options: { protocol?: string; token?: string; headers?: Record<string, string>; presence?: boolean } = {}) {
    const headers = { ...options.headers, ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };
    this.ws = new WebSocket(url, options.protocol ? [options.protocol] : [], { headers });
    this.ws.on('message', (data) => {
      const text = data.toString();
      if (!options.presence && text.startsWith('{"type":"presence"')) return;
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(text);
      else this.inbox.push(text);
    });
    this.ws.on('error', () => undefined);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code, reason) => {
        this.closeCode = code;
        for (const waiter of this.waiters.splice(0)) waiter.reject(this.closedError());
        resolve({ code, reason: reason.toString() });
      }),
    );
  }

  next(): Promise<string> {
    const queued = this.inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closeCode !== undefined) return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async nextJson<T = Record<string, unknown>>(): Promise<T> {
    return JSON.parse(await this.next()) as T;
  }

  send(data: string | object): void {
    this.ws.send(typeof data === 'string' ? data : JSON.stringify(data));
  }

  close(): void {
    this.ws.close();
  }

  private closedError(): Error {
    return new Error(`socket closed (${this.closeCode}) while a message was awaited`);
  }
}

/** The HTTP status a refused upgrade answers with (never resolves on a 101). */
export function upgradeStatus(url: string, options: { protocol?: string; headers?: Record<string, string> } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocol ? [options.protocol] : [], { headers: options.headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('upgrade was accepted'));
    });
    ws.once('error', () => undefined);
  });
}

/** The status and JSON body of a refused upgrade (rejects on a 101). */
export function upgradeRefusal(
  url: string,
  options: { protocol?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: ApiError }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocol ? [options.protocol] : [], { headers: options.headers });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        ws.terminate();
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as ApiError });
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('upgrade was accepted'));
    });
    ws.once('error', () => undefined);
  });
}

/** Base URL for upgrades on the WebSocket port or on the HTTP port (same handler). */
export function wsBase(server: TestServer, port: 'ws' | 'http' = 'ws'): string {
  return port === 'ws' ? server.wsUrl : server.httpUrl.replace(/^http/, 'ws');
}

/** fetch against the HTTP port. */
export function api(server: TestServer, path: string, init?: RequestInit): Promise<Response> {
  return fetch(`${server.httpUrl}${path}`, init);
}

/** POST /api/sessions with a JSON body (or none) and extra headers. */
export function postSession(server: TestServer, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return api(server, '/api/sessions', {
    method: 'POST',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** GET a page of history; `auth` is sent as a Bearer token when given. */
export async function history(
  server: TestServer,
  sessionId: string,
  auth?: string,
  query = '',
): Promise<HistoryPage> {
  const res = await api(server, `/api/sessions/${sessionId}/messages${query}`, {
    headers: auth ? { authorization: `Bearer ${auth}` } : {},
  });
  if (res.status !== 200) throw new Error(`history ${sessionId}: ${res.status} ${await res.text()}`);
  return (await res.json()) as HistoryPage;
}

/** Asserts the `{error:{code,message}}` shape, status and code; returns the error. */
export async function expectApiError(res: Response, status: number, code?: string): Promise<ApiError['error']> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as ApiError;
  expect(body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  expect(body.error.message.length).toBeGreaterThan(0);
  if (code !== undefined) expect(body.error.code).toBe(code);
  return body.error;
}

/** Rows stored for a session, read straight from the server's database (a connection of the test's own). */
export async function storedCount(server: TestServer, sessionId: string): Promise<number> {
  const sql = 'SELECT count(*) AS n FROM messages m JOIN sessions s ON s.pk = m.session_pk WHERE s.id = ';
  if (server.config.databaseUrl !== '') return Number((await admin(server.config.databaseUrl, `${sql}$1`, [sessionId])).rows[0].n);
  return withDb(server.config.dbPath, (db) => db.prepare(`${sql}?`).pluck().get(sessionId) as number);
}

export interface ConnectOptions {
  /** Sent as `Authorization: Bearer`. */
  token?: string;
  /** Offer the session.v1 subprotocol (JSON mode). */
  json?: boolean;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  port?: 'ws' | 'http';
  /** Keep presence frames (left out by default). */
  presence?: boolean;
}

export interface ServerFixture {
  readonly server: TestServer;
  readonly dir: string;
  /** Restarts the server on the same ports and database file. */
  restart(): Promise<TestServer>;
  /** Opens a tracked client on /ws/{ID} and awaits the 101. */
  connect(sessionId: string, options?: ConnectOptions): Promise<TestClient>;
}

/**
 * A real server in a fresh temp folder, started before each test (or once for
 * the suite with scope 'all'), and closed and removed after it, together with
 * every client the test opened through it.
 */
export function useTestServer(overrides: Partial<Config> = {}, scope: 'each' | 'all' = 'each'): ServerFixture {
  let server: TestServer | undefined;
  let folder: ReturnType<typeof tempDir> | undefined;
  const clients: TestClient[] = [];

  const before = scope === 'each' ? beforeEach : beforeAll;
  const after = scope === 'each' ? afterEach : afterAll;
  before(async () => {
    folder = tempDir();
    server = await startTestServer(folder.dir, overrides);
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.ws.terminate();
  });
  after(async () => {
    await server?.close();
    folder?.remove();
    server = undefined;
    folder = undefined;
  });

  const current = (): TestServer => {
    if (!server) throw new Error('the test server is not running');
    return server;
  };
  return {
    get server() {
      return current();
    },
    get dir() {
      if (!folder) throw new Error('no temp folder');
      return folder.dir;
    },
    async restart() {
      server = await current().restart();
      return server;
    },
    async connect(sessionId, options = {}) {
      const query = new URLSearchParams(options.query).toString();
      const url = `${wsBase(current(), options.port)}/ws/${sessionId}${query ? `?${query}` : ''}`;
      const client = new TestClient(url, {
        ...(options.json ? { protocol: SUBPROTOCOL } : {}),
        ...(options.token ? { token: options.token } : {}),
        ...(options.headers ? { headers: options.headers } : {}),
        ...(options.presence ? { presence: true } : {}),
      });
      clients.push(client);
      await client.opened;
      return client;
    },
  };
}
