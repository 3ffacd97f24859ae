import type { DomainLogger } from '../../domain/ports.js';
import type { Db } from './database.js';
import { startWorker } from './worker-start.js';

export interface CheckpointerOptions {
  /** How often the worker checkpoints, in ms (when the WAL has nothing new, a check costs a read of the WAL index). */
  intervalMs: number;
  /**
   * WAL pages after which the writing connection checkpoints by itself, as
   * SQLite does by default at 1,000: the fallback when the worker is behind
   * or gone, so the WAL stays bounded. 16,000 pages: 64 MiB.
   */
  fallbackPages: number;
  /** Nice value of the worker thread (Linux), 0 to 19. */
  nice: number;
  logger: DomainLogger;
}

export interface CheckpointWorkerData {
  path: string;
  intervalMs: number;
  nice: number;
}

const defaults = { intervalMs: 1000, fallbackPages: 16_000, nice: 5 };

/**
 * Moves WAL checkpoints off the event loop: a worker thread checkpoints on a
 * timer (checkpoint-worker.ts) and the writing connection's own automatic
 * checkpoint only fires past `fallbackPages`. In-memory databases have no WAL.
 */
export function startCheckpointer(db: Db, options: Partial<CheckpointerOptions> & Pick<CheckpointerOptions, 'logger'>): { close(): Promise<void> } {
  const { intervalMs, fallbackPages, nice, logger } = { ...defaults, ...options };
  if (db.memory) return { close: async () => {} };
  db.pragma(`wal_autocheckpoint = ${Math.trunc(fallbackPages)}`);
  const worker = startWorker('checkpoint-worker', { path: db.name, intervalMs, nice } satisfies CheckpointWorkerData);
  worker.unref();
  let reported = false;
  worker.on('message', (message: { error: string }) => {
    // Once, not every tick: the writing connection's fallback keeps the WAL bounded meanwhile.
    if (!reported) logger.warn({ err: message.error }, 'background WAL checkpoint failed; retrying every interval');
    reported = true;
  });
  worker.on('error', (err) => logger.error({ err }, 'the WAL checkpoint worker failed; the writer checkpoints by itself past the fallback'));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async close() {
      worker.ref(); // else, with nothing else left, the process ends before the worker has closed its connection
      worker.postMessage('stop');
      await exited;
    },
  };
}
