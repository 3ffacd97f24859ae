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

/** Asks the worker for a checkpoint now (Checkpointer.checkpoint); it answers `{ checkpointed }` with the same number. */
export interface CheckpointRequest {
  checkpoint: number;
}
/** The worker's messages: a timer's failure (`error`), or the answer to a request (`checkpointed`, with its failure if any). */
type CheckpointReply = { checkpointed?: number; error?: string };

export interface Checkpointer {
  /**
   * Resolves once a checkpoint asked for now has run (or failed: the failure
   * is logged like the timer's), or at once when the worker is gone: what a
   * bulk writer (retention) waits on so its pacing counts the checkpoint.
   */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

const defaults = { intervalMs: 1000, fallbackPages: 16_000, nice: 5 };

/**
 * Moves WAL checkpoints off the event loop: a worker thread checkpoints on a
 * timer (checkpoint-worker.ts) and the writing connection's own automatic
 * checkpoint only fires past `fallbackPages`. In-memory databases have no WAL.
 */
export function startCheckpointer(db: Db, options: Partial<CheckpointerOptions> & Pick<CheckpointerOptions, 'logger'>): Checkpointer {
  const { intervalMs, fallbackPages, nice, logger } = { ...defaults, ...options };
  if (db.memory) return { checkpoint: async () => {}, close: async () => {} };
  db.pragma(`wal_autocheckpoint = ${Math.trunc(fallbackPages)}`);
  const worker = startWorker('checkpoint-worker', { path: db.name, intervalMs, nice } satisfies CheckpointWorkerData);
  worker.unref();
  let reported = false;
  /** checkpoint() calls waiting for the worker's answer, by number; all answered when it exits. */
  const waiting = new Map<number, () => void>();
  let asked = 0;
  let gone = false;
  worker.on('message', (message: CheckpointReply) => {
    if (message.checkpointed !== undefined) {
      waiting.get(message.checkpointed)?.();
      waiting.delete(message.checkpointed);
    }
    if (message.error === undefined) return;
    // Once, not every tick: the writing connection's fallback keeps the WAL bounded meanwhile.
    if (!reported) logger.warn({ err: message.error }, 'background WAL checkpoint failed; retrying every interval');
    reported = true;
  });
  worker.on('error', (err) => logger.error({ err }, 'the WAL checkpoint worker failed; the writer checkpoints by itself past the fallback'));
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      gone = true;
      for (const answer of waiting.values()) answer();
      waiting.clear();
      resolve();
    }),
  );
  return {
    checkpoint: () =>
      gone
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const id = asked++;
            waiting.set(id, resolve);
            worker.postMessage({ checkpoint: id } satisfies CheckpointRequest);
          }),
    async close() {
      worker.ref(); // else, with nothing else left, the process ends before the worker has closed its connection
      worker.postMessage('stop');
      await exited;
    },
  };
}
