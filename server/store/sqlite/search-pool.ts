import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { AppError, StorageUnavailableError } from '../../domain/errors.js';
import type { SearchPage } from '../../domain/model.js';
import type { MessageSearch } from '../../domain/ports.js';
import type { IndexProgress } from './search-index.js';
import { startWorker } from './worker-start.js';

export interface SearchPoolOptions {
  /** The database file the workers open read-only. */
  path: string;
  /** A search's time budget from its arrival, queueing included, in ms; past it: 503 search_timeout. */
  budgetMs: number;
  /** Extra ms a worker gets past a deadline to stop by itself before it is terminated. */
  graceMs: number;
  /** Nice value of the worker threads (Linux), 0 to 19: above the event loop's 0, so echoes come first. */
  nice: number;
  /** How often the worker indexes what was committed since, in ms (search-worker.ts). */
  indexIntervalMs: number;
  /** How long a worker that failed waits before it is started again, in ms; doubled after each failure in a row, up to 30 s. */
  restartDelayMs: number;
  /** The worker (re)started: whether it rebuilt the index from nothing, and how far the index is. */
  onReady(rebuilt: boolean, progress: IndexProgress): void;
  /** The index moved on. */
  onProgress(progress: IndexProgress): void;
  /** The worker failed (it is started again after restartDelayMs), or a chunk of indexing did (`index`: retried). */
  onError(err: Error, what: 'worker' | 'index'): void;
}

export interface SearchWorkerData {
  path: string;
  nice: number;
  indexIntervalMs: number;
}
/** Asks the worker to apply everything committed so far (the pool's `indexed()`), or only the deletes logged (`deletesApplied()`). */
export interface FlushRequest {
  flush: number;
  deletesOnly?: boolean;
}
export interface SearchRequest {
  id: number;
  sessionPk: number;
  input: string;
  limit: number;
  offset: number;
  budgetMs: number;
}
type WorkerError = { message: string; code: string | undefined };
export type SearchReply =
  | { ready: true; rebuilt: boolean; progress: IndexProgress }
  | { progress: IndexProgress }
  | { flushed: number; progress: IndexProgress } // a flush's answer: everything visible at its start is applied
  | { flushed: number; error: WorkerError }
  | { indexError: WorkerError }
  | { id: number; page: SearchPage }
  | { id: number; timeout: true }
  | { id: number; error: WorkerError };

interface Job extends Omit<SearchRequest, 'budgetMs'> {
  deadline: number;
  resolve(page: SearchPage): void;
  reject(err: Error): void;
}

const MAX_RESTART_MS = 30_000;

/** A worker's failure as an Error: a SqliteError for SQLite's codes (the store maps them), else an Error with the message. */
function workerFailure(thrown: unknown): Error {
  const { message, code: sqliteCode } = (thrown ?? {}) as { message?: unknown; code?: unknown };
  const text = typeof message === 'string' && message !== '' ? message : 'the search worker failed';
  if (typeof sqliteCode === 'string' && sqliteCode.startsWith('SQLITE_')) return new Database.SqliteError(text, sqliteCode);
  return thrown instanceof Error ? thrown : new Error(text);
}

/** An error the worker answered, as the SqliteError it was (the store maps SQLite's codes). */
const sqliteError = ({ message, code }: WorkerError) => new Database.SqliteError(message, code ?? 'SQLITE_ERROR');

/** Searches and indexed() while the worker is down: 503 storage_unavailable, with why. */
const unavailable = (cause: Error | null) =>
  new StorageUnavailableError(`the search index is unavailable${cause ? `: ${cause.message}` : ''}; retried in the background`, { cause });

export const searchTimeout = (budgetMs: number) =>
  new AppError('search_timeout', `the search took longer than its ${budgetMs} ms budget and was stopped: add letters or words, or retry later`, {
    'Retry-After': '1',
  });

/**
 * The search worker (search-worker.ts), started at once and again after a
 * failure: it keeps the search index caught up with the messages and runs
 * the searches of big sessions, one at a time, in arrival order, so the
 * event loop never runs one (issue 13: a search on the loop stalled every
 * echo). Each has a time budget from its
 * arrival: a search still queued at its deadline is answered at once, one
 * running checks the clock as it ranks (search-query.ts) and stops, and a
 * worker that does not answer within `graceMs` more (stuck in one SQLite
 * step) is terminated and replaced. Either way the caller gets
 * AppError('search_timeout'), 503 with Retry-After. A worker's start-up
 * counts in no budget; the worker never keeps the process alive.
 */
export function createSearchPool(options: SearchPoolOptions): Omit<MessageSearch, 'indexLag'> & { deletesApplied(): Promise<void>; close(): Promise<void> } {
  const { path, budgetMs, graceMs, nice, indexIntervalMs, restartDelayMs, onReady, onProgress, onError } = options;
  const queue: Job[] = [];
  let worker: Worker | null = null;
  /** The worker has opened the database: a worker's start-up (its thread, modules, connection) is not counted in any budget. */
  let ready = false;
  let running: Job | null = null;
  let watchdog: NodeJS.Timeout | null = null;
  let restart: NodeJS.Timeout | null = null;
  /** Failures since the worker was last ready: a worker that cannot start (an unwritable folder) is retried less and less often. */
  let failures = 0;
  let lastFailure: Error | null = null;
  let nextId = 1;
  let closed = false;
  /** indexed() calls waiting for the worker; sent when it is ready, failed with it. */
  const flushes = new Map<number, { sent: boolean; deletesOnly: boolean; resolve(): void; reject(err: Error): void }>();
  const sendFlushes = () => {
    for (const [id, flush] of flushes) {
      if (flush.sent) continue;
      flush.sent = true;
      worker!.postMessage({ flush: id, ...(flush.deletesOnly ? { deletesOnly: true } : {}) } satisfies FlushRequest);
    }
  };
  const flush = (deletesOnly: boolean): Promise<void> => {
    if (closed) return Promise.reject(new Error('the store is closed'));
    if (restart && !ready) return Promise.reject(unavailable(lastFailure));
    return new Promise<void>((resolve, reject) => {
      flushes.set(nextId++, { sent: false, deletesOnly, resolve, reject });
      worker ??= start();
      if (ready) sendFlushes();
    });
  };

  const settle = (job: Job, outcome: SearchPage | Error) => {
    if (watchdog) clearTimeout(watchdog);
    watchdog = null;
    running = null;
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
    pump();
  };

  /** Resolves once the thread is gone, its connections with it (close() waits: the files may be copied over next). */
  const stopWorker = async (): Promise<void> => {
    const w = worker;
    worker = null;
    ready = false;
    // Flushes the stopped worker never answered go to the next one.
    for (const flush of flushes.values()) flush.sent = false;
    if (w) {
      w.removeAllListeners();
      w.on('error', () => undefined);
      await w.terminate();
    }
  };

  const start = (): Worker => {
    const w = startWorker('search-worker', { path, nice, indexIntervalMs } satisfies SearchWorkerData);
    w.unref();
    w.on('message', (reply: SearchReply) => {
      if ('indexError' in reply) return onError(sqliteError(reply.indexError), 'index');
      if ('flushed' in reply) {
        const flush = flushes.get(reply.flushed);
        flushes.delete(reply.flushed);
        if ('error' in reply) {
          // Logged here too: retention's wait (deletesApplied) takes a failure as "go on".
          onError(sqliteError(reply.error), 'index');
          return flush?.reject(sqliteError(reply.error));
        }
        flush?.resolve();
      }
      if (!('id' in reply)) onProgress(reply.progress);
      if ('ready' in reply) {
        onReady(reply.rebuilt, reply.progress);
        ready = true;
        failures = 0;
        sendFlushes();
        const now = performance.now();
        for (const job of queue) job.deadline = Math.max(job.deadline, now + budgetMs);
        pump();
        return;
      }
      if (!('id' in reply) || !running || reply.id !== running.id) return;
      if ('page' in reply) settle(running, reply.page);
      else if ('timeout' in reply) settle(running, searchTimeout(budgetMs));
      else settle(running, sqliteError(reply.error));
    });
    const fail = (thrown: unknown) => {
      // What a worker throws arrives as a copy: a SqliteError comes as a plain object with its code.
      const err = workerFailure(thrown);
      lastFailure = err;
      const started = ready;
      void stopWorker();
      // A worker that cannot even start (no database file, say) fails what waits for it, rather than restarting forever.
      if (!started) for (const job of queue.splice(0)) job.reject(unavailable(err));
      if (running) settle(running, unavailable(err));
      for (const flush of flushes.values()) flush.reject(unavailable(err));
      flushes.clear();
      onError(err, 'worker');
      // The index needs its writer even when nobody searches; pump() starts one sooner for a search.
      if (!closed && !restart) {
        restart = setTimeout(() => {
          restart = null;
          if (!closed) worker ??= start();
        }, Math.min(MAX_RESTART_MS, restartDelayMs * 2 ** failures++));
        restart.unref();
      }
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the search worker exited (${code})`)));
    return w;
  };

  function pump(): void {
    if (running || closed) return;
    if (!ready) {
      // While a failed worker waits for its restart, searches are answered at once, not each with a thread of its own.
      if (restart) for (const job of queue.splice(0)) job.reject(unavailable(lastFailure));
      else worker ??= start();
      return;
    }
    let job: Job | undefined;
    while ((job = queue.shift()) && performance.now() >= job.deadline) job.reject(searchTimeout(budgetMs));
    if (!job) return;
    running = job;
    const { id, sessionPk, input, limit, offset, deadline } = job;
    worker!.postMessage({ id, sessionPk, input, limit, offset, budgetMs: deadline - performance.now() } satisfies SearchRequest);
    watchdog = setTimeout(() => {
      onError(new Error(`a search or an index chunk ran ${graceMs} ms past its budget: the search worker is stopped and started again`), 'worker');
      void stopWorker();
      settle(job, searchTimeout(budgetMs));
    }, deadline - performance.now() + graceMs);
    watchdog.unref();
  }

  worker = start();
  return {
    search(sessionPk, input, limit, offset) {
      if (closed) return Promise.reject(new Error('the store is closed'));
      return new Promise<SearchPage>((resolve, reject) => {
        queue.push({ id: nextId++, sessionPk, input, limit, offset, deadline: performance.now() + budgetMs, resolve, reject });
        pump();
      });
    },
    indexed: () => flush(false),
    /** Resolves once the deletes logged so far are applied to the index (retention's wait; new messages are not waited for). */
    deletesApplied: () => flush(true),
    async close() {
      closed = true;
      for (const flush of flushes.values()) flush.reject(new Error('the store is closed'));
      flushes.clear();
      if (restart) clearTimeout(restart);
      for (const job of queue.splice(0)) job.reject(new Error('the store is closed'));
      if (running) settle(running, new Error('the store is closed'));
      await stopWorker();
    },
  };
}
