/**
 * The search worker thread (search-pool.ts): its own read-only connection to
 * the database, so a search never runs on the event loop that echoes
 * messages. It asks the kernel to schedule it below the main thread (nice
 * 10, Linux: a thread's own id is a "pid" to setpriority), so on a busy core
 * a search takes the time the echoes leave over, not theirs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { registerFunctions } from './database.js';
import { createSearchQuery, SearchDeadlineError } from './search-query.js';
import type { SearchReply, SearchRequest, SearchWorkerData } from './search-pool.js';
import { lowerThreadPriority } from './worker-start.js';

const { path, nice } = workerData as SearchWorkerData;

lowerThreadPriority(nice);

const db = new Database(path, { readonly: true, fileMustExist: true });
registerFunctions(db);
const search = createSearchQuery(db);

parentPort!.postMessage({ ready: true } satisfies SearchReply);
parentPort!.on('message', ({ id, sessionPk, input, limit, offset, budgetMs }: SearchRequest) => {
  let reply: SearchReply;
  try {
    reply = { id, page: search(sessionPk, input, limit, offset, performance.now() + budgetMs) };
  } catch (err) {
    reply = err instanceof SearchDeadlineError
      ? { id, timeout: true }
      : { id, error: { message: (err as Error).message, code: (err as { code?: string }).code } };
  }
  parentPort!.postMessage(reply);
});
