import { Writable } from 'node:stream';

/** A pino destination that keeps every line written to it, for tests that read the real log output. */
export function logCapture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return {
    stream,
    lines,
    /** Lines at `level` or above (pino: 40 warn, 50 error, 60 fatal). */
    atLeast: (level: number) => lines.filter((line) => (JSON.parse(line) as { level: number }).level >= level),
  };
}
