import type { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';

/** Log bytes held for a stdout that does not keep up; beyond, lines are dropped rather than memory grown. */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
/** Lines held for the end of the turn up to this many bytes; more leave at once (a burst of lines in one turn). */
const BATCH_BYTES = 64 * 1024;

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
 *
 * The lines of one turn of the event loop leave in one write, after its I/O
 * (setImmediate), or as soon as they reach BATCH_BYTES: a write is a system
 * call, and one per line (one per request logged) cost 16 clients scraping
 * /metrics back to back an eighth of their rate on a 2-vCPU VM (7,800 to
 * 9,600 requests a second against 9,700 to 10,400, interleaved, server on
 * its own core). Lines still held when the process exits (process.exit, an
 * uncaught exception) are written by its 'exit' hook, where a write to a
 * file or pipe is synchronous.
 */
export function stdoutDestination(stream: Writable = process.stdout): LogDestination {
  const state = watch(stream);
  return {
    write(line: string) {
      if (state.failed || stream.writableLength + state.pendingBytes >= MAX_PENDING_BYTES) return;
      state.pending.push(line);
      state.pendingBytes += line.length;
      if (state.pendingBytes >= BATCH_BYTES) state.drain();
      else if (!state.scheduled) {
        state.scheduled = true;
        holding.add(state);
        setImmediate(state.drain);
      }
    },
    flush(cb) {
      state.drain();
      if (state.failed || stream.writableLength === 0) return cb(state.failed);
      const done = (err?: Error) => {
        stream.off('drain', done).off('error', done);
        cb(err ?? state.failed);
      };
      stream.once('drain', done).once('error', done);
    },
  };
}

interface StreamState {
  /** The error that stopped logging to this stream, if any. */
  failed: Error | null;
  /** Lines written since the last drain, in order, whichever logger wrote them. */
  pending: string[];
  pendingBytes: number;
  scheduled: boolean;
  drain: () => void;
}

/** Per stream: one 'error' listener however many loggers write there (a test server per test). */
const watched = new WeakMap<Writable, StreamState>();
/** The streams with lines still held, for the one 'exit' hook of the process. */
const holding = new Set<StreamState>();
let exitHooked = false;

function watch(stream: Writable): StreamState {
  const known = watched.get(stream);
  if (known) return known;
  const state: StreamState = {
    failed: null,
    pending: [],
    pendingBytes: 0,
    scheduled: false,
    drain() {
      state.scheduled = false;
      holding.delete(state);
      if (state.pending.length === 0) return;
      const text = state.pending.length === 1 ? state.pending[0]! : state.pending.join('');
      state.pending = [];
      state.pendingBytes = 0;
      if (!state.failed) stream.write(text);
    },
  };
  stream.on('error', (err: Error) => (state.failed ??= err));
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => holding.forEach((held) => held.drain()));
  }
  watched.set(stream, state);
  return state;
}
