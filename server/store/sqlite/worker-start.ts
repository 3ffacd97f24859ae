import { readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts one of this folder's worker threads (`search-worker`,
 * `checkpoint-worker`): the built .js next to this file, or, when this
 * module runs as TypeScript source (tests, `npm run dev`, both under tsx or
 * Vite), the .ts source loaded through tsx's loader, imported in the worker first.
 */
export function startWorker(name: 'search-worker' | 'checkpoint-worker', workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, import.meta.url), { workerData });
  const require = createRequire(import.meta.url);
  const tsx = require.resolve('tsx/cjs/api');
  const source = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`, { eval: true, workerData });
}

/** Asks the kernel to schedule the calling thread below the event loop (Linux: a thread's own id is a "pid" to setpriority). */
export function lowerThreadPriority(nice: number): void {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), nice);
  } catch {
    // Not Linux, or not allowed: the thread runs at the main thread's priority.
  }
}
