/**
 * The search worker thread (search-pool.ts): the one writer of the search
 * index (search-index.ts), which it keeps caught up with the messages on a
 * timer, and the searcher of sessions too big for the event loop. Its own
 * connection only reads the messages database, so neither indexing nor a
 * search ever runs on the event loop that echoes messages, nor holds the
 * messages' write lock. It asks the kernel to schedule it below the main
 * thread (nice 10, Linux: a thread's own id is a "pid" to setpriority), so
 * on a busy core the index and searches take the time the echoes leave over.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { registerFunctions } from './database.js';
import { createIndexWriter, indexIsDamaged, indexPath, isDamaged, openIndex, removeIndexFiles } from './search-index.js';
import { createSearchQuery, SearchDeadlineError } from './search-query.js';
import type { FlushRequest, SearchReply, SearchRequest, SearchWorkerData } from './search-pool.js';
import { lowerThreadPriority } from './worker-start.js';

const { path, nice, indexIntervalMs } = workerData as SearchWorkerData;

/** A timer tick's share of work before searches waiting in the port get their turn, in ms. */
const SLICE_MS = 50;

lowerThreadPriority(nice);

// Read-write only so that the attached index is (search-index.ts): this connection never writes a message.
// Not fileMustExist: SQLite would then open the attached index without leave to create it. The store made the file.
const db = new Database(path, { timeout: 250 });
registerFunctions(db);
const { rebuilt } = openOrExplain();
let writer = createIndexWriter(db);
let search = createSearchQuery(db);
const newestId = db.prepare<[], number>('SELECT coalesce(max(id), 0) FROM messages').pluck();

/** openIndex, or an Error that says which file failed and how: a SqliteError reaches the pool without its message. */
function openOrExplain(): { rebuilt: boolean } {
  try {
    return openIndex(db, path);
  } catch (err) {
    const { message, code } = err as { message?: string; code?: string };
    throw Object.assign(new Error(`cannot open the search index ${indexPath(path)}: ${message ?? String(err)}`), { code });
  }
}

const post = (reply: SearchReply) => parentPort!.postMessage(reply);
const errorOf = (err: unknown) => ({ message: (err as Error).message, code: (err as { code?: string }).code });

/**
 * A damaged index (SQLite says corrupt, or not a database, while it is read
 * or written, and the index's own checks agree: the damage may be in the
 * messages) is dropped and built again from the messages: it is derived,
 * and left as it is, every chunk and every search would fail until a person
 * removed the file. The pool is told as at a start (ready, rebuilt), so the
 * event loop's reader opens the new file.
 */
function rebuildIfDamaged(err: unknown): void {
  if (!isDamaged(err) || !indexIsDamaged(db)) return;
  db.exec('DETACH search');
  removeIndexFiles(path);
  openIndex(db, path);
  writer = createIndexWriter(db);
  search = createSearchQuery(db);
  post({ ready: true, rebuilt: true, progress: (reported = writer.progress()) });
}
let reported = writer.progress();
const report = () => {
  const now = writer.progress();
  if (now.indexedUpTo !== reported.indexedUpTo || now.forgotUpTo !== reported.forgotUpTo) post({ progress: (reported = now) });
};

/** After a failed chunk, the wait before the next try doubles up to this, in ms: a full disk is not retried (and logged) 10 times a second. */
const MAX_RETRY_MS = 30_000;
let retryMs = 0;

/** Indexes for a slice; with more to do, goes on after the searches already waiting, else after indexIntervalMs. */
function tick(): void {
  let done = true;
  try {
    done = writer.catchUp(Infinity, performance.now() + SLICE_MS).done;
    report();
    retryMs = 0;
  } catch (err) {
    // A failed chunk rolled back and is retried later; the pool logs why.
    retryMs = Math.min(MAX_RETRY_MS, Math.max(indexIntervalMs, retryMs * 2));
    post({ indexError: errorOf(err) });
    rebuildIfDamaged(err);
  }
  if (retryMs > 0) setTimeout(tick, retryMs);
  else if (done) setTimeout(tick, indexIntervalMs);
  else setImmediate(tick);
}

post({ ready: true, rebuilt, progress: reported });
tick();

/**
 * A flush of deletes only (retention's wait): the deletes logged when it was
 * asked for, a slice at a time, so searches waiting in the port go between
 * (a backlog of 100,000 took 3.3 s in one go: the searches behind it timed
 * out and the watchdog stopped the worker). While indexing backs off after a
 * failure it is answered at once: retention does not get a retry of its own.
 */
function applyDeletes(flush: number, target: number): void {
  try {
    if (retryMs === 0 && !writer.applyDeletes(target, performance.now() + SLICE_MS).done) return void setImmediate(applyDeletes, flush, target);
    post({ flushed: flush, progress: (reported = writer.progress()) });
  } catch (err) {
    post({ flushed: flush, error: errorOf(err) });
    rebuildIfDamaged(err);
  }
}

parentPort!.on('message', (request: SearchRequest | FlushRequest) => {
  if ('flush' in request && request.deletesOnly) return applyDeletes(request.flush, writer.deletesLogged());
  if ('flush' in request) {
    try {
      writer.catchUp();
      post({ flushed: request.flush, progress: (reported = writer.progress()) });
    } catch (err) {
      post({ flushed: request.flush, error: errorOf(err) });
      rebuildIfDamaged(err);
    }
    return;
  }
  const { id, sessionPk, input, limit, offset, budgetMs } = request;
  let reply: SearchReply;
  const deadline = performance.now() + budgetMs;
  try {
    // Whatever was committed before this search was asked for is searchable: the index first catches up to it.
    if (!writer.catchUp(newestId.get()!, deadline).done) throw new SearchDeadlineError('the index did not catch up within the budget');
    report();
    reply = { id, page: search(sessionPk, input, limit, offset, deadline) };
  } catch (err) {
    reply = err instanceof SearchDeadlineError ? { id, timeout: true } : { id, error: errorOf(err) };
  }
  post(reply);
  if ('error' in reply) rebuildIfDamaged(reply.error);
});
