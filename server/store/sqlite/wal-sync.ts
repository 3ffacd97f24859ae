import { close, fsync, openSync } from 'node:fs';
import { StorageUnavailableError } from '../../domain/errors.js';
import type { Db } from './database.js';

/**
 * Makes what the database has committed durable: fsync of its WAL file, on
 * libuv's thread pool, so the event loop keeps serving while the disk
 * flushes. The connection commits with `synchronous = NORMAL` (a COMMIT
 * writes the WAL without syncing it) and every write whose caller is told
 * "done" (an echo, a 201, a 204) waits for `sync()` first: the same promise
 * as `synchronous = FULL` (SQLite's WAL mode syncs the WAL at each COMMIT,
 * https://www.sqlite.org/pragma.html#pragma_synchronous), without the event
 * loop blocked in fsync (issue 13: 45% of wall time at 10,000 msg/s).
 *
 * Syncs are grouped: callers that arrive while one runs share the next,
 * which starts when it ends (it must start after their COMMIT to cover it).
 * A failed fsync rejects its callers (the writes may be lost on power
 * failure; they were committed, so a client's resend with its id finds them).
 * In-memory databases have nothing to sync.
 */
export interface WalSync {
  /** Resolves once every transaction committed before the call is on disk. */
  sync(): Promise<void>;
  /** Waits for the syncs under way, then closes the WAL file descriptor. */
  close(): Promise<void>;
}

export interface WalSyncOptions {
  /** fs.fsync; a test wraps it to see when syncs start and end. */
  fsync(fd: number, callback: (err: NodeJS.ErrnoException | null) => void): void;
}

export function createWalSync(db: Db, options: Partial<WalSyncOptions> = {}): WalSync {
  const fsyncFile = options.fsync ?? fsync;
  if (db.memory) return { sync: async () => {}, close: async () => {} };
  // The WAL lives as long as a connection has the database open (this
  // store's does, until close): one descriptor serves every sync.
  let fd: number | undefined;
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;

  const failed = (err: unknown) => new StorageUnavailableError(`fsync of the WAL failed: ${(err as Error).message}`, { cause: err });
  const fsyncOnce = (): Promise<void> =>
    new Promise((resolve, reject) => {
      try {
        fd ??= openSync(`${db.name}-wal`, 'r');
      } catch (err) {
        reject(failed(err));
        return;
      }
      fsyncFile(fd, (err) => (err ? reject(failed(err)) : resolve()));
    });

  const start = (): Promise<void> => {
    const current = fsyncOnce();
    running = current;
    const clear = () => {
      if (running === current) running = undefined;
    };
    current.then(clear, clear);
    return current;
  };

  return {
    sync() {
      if (!running) return start();
      next ??= running.then(
        () => undefined,
        () => undefined,
      ).then(() => {
        next = undefined;
        return start();
      });
      return next;
    },
    async close() {
      await Promise.allSettled([running, next]);
      if (fd !== undefined) await new Promise<void>((resolve) => close(fd!, () => resolve()));
      fd = undefined;
    },
  };
}
