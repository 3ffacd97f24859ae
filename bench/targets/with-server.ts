import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexPath } from '../../server/store/sqlite/search-index.js';
import type { BenchOptions } from '../cli.js';
import { registerSessions } from '../lib/http.js';
import { startBenchServer, type BenchServer, type DbSync, type Variant } from '../lib/server-process.js';
import { dialectOf, type Dialect } from '../load/dialect.js';
import type { SessionCredentials } from '../load/generator.js';

/**
 * Heartbeats every second in a smoke run, so the generator's answers to the
 * server's pings (WebSocket pings for (a), Engine.IO's `2` for (d) and (e))
 * are exercised within its 1.5 s: an unanswered one would get the connection
 * dropped and the run would report it. Not shorter: (a) drops a peer whose
 * pong it has not read by the next tick, and on a busy machine its event
 * loop can be that late. Each server ignores the settings it does not know.
 */
const SMOKE_HEARTBEAT_ENV = { HEARTBEAT_MS: '1000', SIO_PING_INTERVAL_MS: '1000', SIO_PING_TIMEOUT_MS: '1000' };

export interface ServerRun {
  server: BenchServer;
  /** The sessions to connect to: registered over HTTP on (a), bare IDs on the references. */
  sessions: SessionCredentials[];
  dialect: Dialect;
  /** The server's database file (a copy of `database` when one was given). */
  dbPath: string;
}

export interface ServerRunOptions {
  sync?: DbSync;
  cpuProfDir?: string;
  /** A database to run on: copied first, so the original stays as it was. */
  database?: string;
  env?: Record<string, string>;
  /** Short heartbeats in a smoke run (default true; off where the server is stalled on purpose). */
  smokeHeartbeats?: boolean;
}

/**
 * Starts `variant` (pinned as the options say) on a fresh database in a temp
 * folder, gets sessions for `ids`, runs `body`, then stops the server and
 * removes the folder, whatever happened.
 */
export async function withServer<T>(
  variant: Variant,
  options: BenchOptions,
  ids: readonly string[],
  body: (run: ServerRun) => Promise<T>,
  extra: ServerRunOptions = {},
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'wss-bench-'));
  try {
    const dbPath = join(dir, 'app.db');
    if (extra.database) {
      copyFileSync(extra.database, dbPath);
      // Its search index too (built with the fixture): else the server would spend the measured window rebuilding it.
      if (existsSync(indexPath(extra.database))) copyFileSync(indexPath(extra.database), indexPath(dbPath));
    }
    const server = await startBenchServer({
      variant,
      dbPath,
      sync: extra.sync,
      pin: options.pin,
      cpuProfDir: extra.cpuProfDir,
      env: { ...(options.smoke && extra.smokeHeartbeats !== false ? SMOKE_HEARTBEAT_ENV : {}), ...extra.env },
    });
    try {
      const sessions = server.httpPort !== null && variant === 'a' ? await registerSessions(server.httpPort, ids) : ids.map((id) => ({ id }));
      return await body({ server, sessions, dialect: dialectOf(variant), dbPath });
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
