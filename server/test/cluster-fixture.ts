/**
 * Nodes of a cluster in the test process: each a real server on port 0 that
 * opens its own store and bus from its configuration, exactly as main.ts
 * does (DATABASE_URL, BUS, REDIS_URL, NODE_ID), on one shared database.
 */
import { SUBPROTOCOL } from '../../protocol/wire.js';
import { loadConfig, type Config } from '../config.js';
import { createLogger } from '../logger.js';
import { startServer, type RunningServer } from '../server.js';
import { TestClient } from './harness.js';

export { metricValue } from './metric-value.js';

export interface ClusterNode extends RunningServer {
  config: Config;
  httpUrl: string;
  wsUrl: string;
  /** Opens a JSON-mode client on /ws/{ID} and awaits the 101. */
  connect(sessionId: string, token: string, query?: Record<string, string>): Promise<TestClient>;
  /** GET /metrics as text. */
  metrics(): Promise<string>;
}

export async function startNode(overrides: Partial<Config> & Pick<Config, 'databaseUrl'>): Promise<ClusterNode> {
  const loaded = loadConfig({}, []);
  if (loaded.help) throw new Error('unreachable');
  const config: Config = {
    ...loaded.config,
    httpPort: 0,
    wsPort: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    staticDir: '/nonexistent',
    wsRateLimit: 0,
    registerRateLimit: 0,
    authFailureLimit: 0,
    ...overrides,
  };
  const server = await startServer(config, createLogger({ level: config.logLevel, format: 'json' }));
  const httpUrl = `http://127.0.0.1:${server.httpPort}`;
  const wsUrl = `ws://127.0.0.1:${server.wsPort}`;
  return {
    ...server,
    config,
    httpUrl,
    wsUrl,
    async connect(sessionId, token, query) {
      const search = query ? `?${new URLSearchParams(query)}` : '';
      const client = new TestClient(`${wsUrl}/ws/${sessionId}${search}`, { protocol: SUBPROTOCOL, token });
      await client.opened;
      return client;
    },
    async metrics() {
      return (await fetch(`${httpUrl}/metrics`)).text();
    },
  };
}
