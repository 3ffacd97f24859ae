import type { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';

/** Log bytes held for a stdout that does not keep up; beyond, lines are dropped rather than memory grown. */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;

export interface LogDestination extends DestinationStream {
  /** Calls back once what was written so far is out, or with the error that stopped logging. */
  flush(cb: (err?: Error | null) => void): void;
}

/**
 * stdout as the logger's destination, and never a reason for the process to
 * hang. Node writes a pipe or socket stdout without blocking (what the
 * kernel does not take waits in memory), so a slow reader stalls nothing.
 * pino.destination() did not do: its exit hook writes what is pending
 * synchronously, and sonic-boom's flushSync retries a failed write without
 * end, so with stdout's reader gone (EPIPE) or not reading, SIGTERM hung for
 * good, forced exit included. Here the first write error (EPIPE...) stops
 * logging, a reader that does not keep up loses lines past
 * MAX_PENDING_BYTES, and main.ts flushes with a deadline before it exits.
 */
export function stdoutDestination(stream: Writable = process.stdout): LogDestination {
  const state = watch(stream);
  return {
    write(line: string) {
      if (!state.failed && stream.writableLength < MAX_PENDING_BYTES) stream.write(line);
    },
    flush(cb) {
      if (state.failed || stream.writableLength === 0) return cb(state.failed);
      const done = (err?: Error) => {
        stream.off('drain', done).off('error', done);
        cb(err ?? state.failed);
      };
      stream.once('drain', done).once('error', done);
    },
  };
}

/** Per stream, the error that stopped it: one 'error' listener however many loggers write there (a test server per test). */
const watched = new WeakMap<Writable, { failed: Error | null }>();

function watch(stream: Writable): { failed: Error | null } {
  let state = watched.get(stream);
  if (!state) {
    const created: { failed: Error | null } = { failed: null };
    stream.on('error', (err: Error) => (created.failed ??= err));
    watched.set(stream, (state = created));
  }
  return state;
}
