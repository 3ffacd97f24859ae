import { Writable } from 'node:stream';

type Entry = Record<string, unknown> & { level: number; msg: string };

/** A pino destination that keeps every line written to it, for tests that read the real log output. */
export function logCapture() {
  const lines: string[] = [];
  const waiters = new Set<{ test(entry: Entry): boolean; resolve(entry: Entry): void }>();
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(line);
        if (waiters.size === 0) continue;
        const entry = JSON.parse(line) as Entry;
        for (const waiter of waiters) {
          if (!waiter.test(entry)) continue;
          waiters.delete(waiter);
          waiter.resolve(entry);
        }
      }
      done();
    },
  });
  return {
    stream,
    lines,
    /** Lines at `level` or above (pino: 40 warn, 50 error, 60 fatal). */
    atLeast: (level: number) => lines.filter((line) => (JSON.parse(line) as { level: number }).level >= level),
    /** The first line, written already or from now on, that passes `test`: an event to await, not a poll. */
    line(test: (entry: Entry) => boolean): Promise<Entry> {
      const written = lines.map((line) => JSON.parse(line) as Entry).find(test);
      return written ? Promise.resolve(written) : new Promise((resolve) => waiters.add({ test, resolve }));
    },
  };
}
