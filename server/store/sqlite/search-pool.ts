import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { AppError } from '../../domain/errors.js';
import type { SearchPage } from '../../domain/model.js';
import type { MessageSearch } from '../../domain/ports.js';
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
}

export interface SearchWorkerData {
  path: string;
  nice: number;
}
export interface SearchRequest {
  id: number;
  sessionPk: number;
  input: string;
  limit: number;
  offset: number;
  budgetMs: number;
}
export type SearchReply =
  | { ready: true }
  | { id: number; page: SearchPage }
  | { id: number; timeout: true }
  | { id: number; error: { message: string; code: string | undefined } };

interface Job extends Omit<SearchRequest, 'budgetMs'> {
  deadline: number;
  resolve(page: SearchPage): void;
  reject(err: Error): void;
}

export const searchTimeout = (budgetMs: number) =>
  new AppError('search_timeout', `the search took longer than its ${budgetMs} ms budget and was stopped: add letters or words, or retry later`, {
    'Retry-After': '1',
  });

/**
 * Searches run on a worker thread with its own read-only connection, one at
 * a time, in arrival order, so the event loop never runs one (issue 13: a
 * search on the loop stalled every echo). Each has a time budget from its
 * arrival: a search still queued at its deadline is answered at once, one
 * running checks the clock as it ranks (search-query.ts) and stops, and a
 * worker that does not answer within `graceMs` more (stuck in one SQLite
 * step) is terminated and replaced. Either way the caller gets
 * AppError('search_timeout'), 503 with Retry-After. The worker starts on the
 * first search (its start-up counts in no budget) and never keeps the
 * process alive.
 */
export function createSearchPool(options: SearchPoolOptions): MessageSearch & { close(): Promise<void> } {
  const { path, budgetMs, graceMs, nice } = options;
  const queue: Job[] = [];
  let worker: Worker | null = null;
  /** The worker has opened the database: a worker's start-up (its thread, modules, connection) is not counted in any budget. */
  let ready = false;
  let running: Job | null = null;
  let watchdog: NodeJS.Timeout | null = null;
  let nextId = 1;
  let closed = false;

  const settle = (job: Job, outcome: SearchPage | Error) => {
    if (watchdog) clearTimeout(watchdog);
    watchdog = null;
    running = null;
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
    pump();
  };

  const stopWorker = () => {
    const w = worker;
    worker = null;
    ready = false;
    if (w) {
      w.removeAllListeners();
      w.on('error', () => undefined);
      void w.terminate();
    }
  };

  const start = (): Worker => {
    const w = startWorker('search-worker', { path, nice } satisfies SearchWorkerData);
    w.unref();
    w.on('message', (reply: SearchReply) => {
      if ('ready' in reply) {
        ready = true;
        const now = performance.now();
        for (const job of queue) job.deadline = Math.max(job.deadline, now + budgetMs);
        pump();
        return;
      }
      if (!running || reply.id !== running.id) return;
      if ('page' in reply) settle(running, reply.page);
      else if ('timeout' in reply) settle(running, searchTimeout(budgetMs));
      else settle(running, new Database.SqliteError(reply.error.message, reply.error.code ?? 'SQLITE_ERROR'));
    });
    const fail = (err: Error) => {
      const started = ready;
      stopWorker();
      // A worker that cannot even start (no database file, say) fails what waits for it, rather than restarting forever.
      if (!started) for (const job of queue.splice(0)) job.reject(err);
      if (running) settle(running, err);
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the search worker exited (${code})`)));
    return w;
  };

  function pump(): void {
    if (running || closed) return;
    if (!ready) {
      worker ??= start();
      return;
    }
    let job: Job | undefined;
    while ((job = queue.shift()) && performance.now() >= job.deadline) job.reject(searchTimeout(budgetMs));
    if (!job) return;
    running = job;
    const { id, sessionPk, input, limit, offset, deadline } = job;
    worker!.postMessage({ id, sessionPk, input, limit, offset, budgetMs: deadline - performance.now() } satisfies SearchRequest);
    watchdog = setTimeout(() => {
      stopWorker();
      settle(job, searchTimeout(budgetMs));
    }, deadline - performance.now() + graceMs);
    watchdog.unref();
  }

  return {
    search(sessionPk, input, limit, offset) {
      if (closed) return Promise.reject(new Error('the store is closed'));
      return new Promise<SearchPage>((resolve, reject) => {
        queue.push({ id: nextId++, sessionPk, input, limit, offset, deadline: performance.now() + budgetMs, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('the store is closed'));
      if (running) settle(running, new Error('the store is closed'));
      stopWorker();
    },
  };
}
