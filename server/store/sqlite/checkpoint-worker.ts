/**
 * The checkpoint worker thread (checkpointer.ts): copies what the WAL holds
 * into the database file, and fsyncs both, on its own connection, so the
 * event loop never does it inside a COMMIT (SQLite's automatic checkpoint
 * runs in whichever commit crosses the threshold: a stall of tens of ms
 * every few seconds at 10,000 msg/s, issue 13). PASSIVE: it never waits for
 * or blocks the writer, it copies what no reader still needs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointRequest, CheckpointWorkerData } from './checkpointer.js';
import { lowerThreadPriority } from './worker-start.js';

const { path, intervalMs, nice } = workerData as CheckpointWorkerData;
lowerThreadPriority(nice);

const db = new Database(path, { fileMustExist: true });
db.pragma('synchronous = NORMAL'); // a checkpoint fsyncs the WAL, then the database file, at any level but OFF
db.pragma('wal_autocheckpoint = 0'); // this connection never writes; no checkpoint but the timer's
const checkpoint = db.prepare<[], { busy: number; log: number; checkpointed: number }>('PRAGMA wal_checkpoint(PASSIVE)');

/** One PASSIVE checkpoint; a failure (SQLITE_BUSY: a restore, a backup's own checkpoint; an I/O error) is the lead's to log, the next one tries again. */
function run(): string | undefined {
  try {
    checkpoint.get();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const timer = setInterval(() => {
  const error = run();
  if (error !== undefined) parentPort!.postMessage({ error });
}, intervalMs);

parentPort!.on('message', (message: 'stop' | CheckpointRequest) => {
  if (typeof message === 'object') {
    const error = run();
    parentPort!.postMessage({ checkpointed: message.checkpoint, ...(error !== undefined ? { error } : {}) });
    return;
  }
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
