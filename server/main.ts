/**
 * Composition root, and the only module with side effects: config -> logger
 * -> server -> signals.
 */
import { loadDotEnv } from './dotenv.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { StartError, startServer } from './server.js';

/** SIGTERM/SIGINT must end the process within this long after the drain (SHUTDOWN_DRAIN_MS). */
const SHUTDOWN_DEADLINE_MS = 5000;
/** How long the last log lines may take to leave: a stdout nobody reads must not hold the exit. */
const LOG_FLUSH_DEADLINE_MS = 500;

async function main(): Promise<void> {
  loadDotEnv();
  const loaded = loadConfig();
  if (loaded.help) {
    process.stdout.write(loaded.text);
    return;
  }
  const { config } = loaded;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const server = await startServer(config, logger);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const forced = setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, config.shutdownDrainMs + SHUTDOWN_DEADLINE_MS);
    forced.unref();
    server
      .close(SHUTDOWN_DEADLINE_MS - 1000)
      .then(() => {
        logger.info('stopped');
        // Logs are written asynchronously: let the last lines out first, for a while.
        const exit = () => process.exit(0);
        setTimeout(exit, LOG_FLUSH_DEADLINE_MS);
        logger.flush(exit);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Announced only once the signals are handled: a supervisor that stops the server as soon as it
  // reads this line (stdout to a pipe is written synchronously) must not meet the default action.
  logger.info(
    { httpPort: server.httpPort, wsPort: server.wsPort, host: config.host, ...storeOf(config) },
    `listening: http://localhost:${server.httpPort} and ws://localhost:${server.wsPort}/ws/{ID}`,
  );
}

/** Which store and bus this node runs on, for the start line: a PostgreSQL URL without its credentials. */
function storeOf(config: Config): Record<string, string> {
  if (!config.databaseUrl) return { store: 'sqlite', dbPath: config.dbPath, bus: 'local' };
  const url = new URL(config.databaseUrl);
  return {
    store: 'postgres',
    database: `${url.hostname}:${url.port || 5432}${url.pathname}`,
    bus: config.bus || 'postgres',
    ...(config.nodeId ? { nodeId: config.nodeId } : {}),
  };
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof StartError) {
    process.stderr.write(`websocket-session: ${err.message}\n`);
  } else {
    process.stderr.write(`websocket-session: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(2);
});
