import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { stdoutDestination } from '../log-destination.js';

const run = promisify(execFile);
const LOGGER = resolve(import.meta.dirname, '../../dist/server/logger.js');

/** A stream that records each write it is given. */
function recorder() {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return { stream, writes };
}

it("writes a turn's lines once that turn's I/O is done, in one write, in order, whichever logger wrote them", async () => {
  const { stream, writes } = recorder();
  const first = stdoutDestination(stream);
  const second = stdoutDestination(stream);
  first.write('{"n":1}\n');
  second.write('{"n":2}\n');
  first.write('{"n":3}\n');
  expect(writes).toEqual([]);
  await nextTurn();
  expect(writes).toEqual(['{"n":1}\n{"n":2}\n{"n":3}\n']);
  second.write('{"n":4}\n');
  await nextTurn();
  expect(writes).toEqual(['{"n":1}\n{"n":2}\n{"n":3}\n', '{"n":4}\n']);
});

it('flush writes what the turn holds at once, then calls back', async () => {
  const { stream, writes } = recorder();
  const destination = stdoutDestination(stream);
  destination.write('{"msg":"last words"}\n');
  const flushed = new Promise<Error | null | undefined>((done) => destination.flush(done));
  expect(writes).toEqual(['{"msg":"last words"}\n']);
  expect(await flushed).toBeFalsy();
});

// The lines of the turn in which a process ends would otherwise be lost: process.exit() and an
// uncaught exception run no more turns, only the 'exit' hooks.
const script = (ending: string) => `
  const { createLogger } = await import(${JSON.stringify(LOGGER)});
  const logger = createLogger({ level: 'info', format: 'json' });
  for (let n = 1; n <= 3; n++) logger.info({ n }, 'line');
  ${ending}
`;

it('keeps the lines of the last turn when the process exits at once', async () => {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script('process.exit(0);')]);
  expect(stdout.trim().split('\n').map((line) => (JSON.parse(line) as { n: number }).n)).toEqual([1, 2, 3]);
});

it('keeps the lines of the last turn when the process dies of an uncaught exception', async () => {
  const failure = await run(process.execPath, ['--input-type=module', '-e', script("throw new Error('boom');")]).catch(
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
  expect(failure).toMatchObject({ code: 1 });
  expect((failure as { stderr: string }).stderr).toMatch(/boom/);
  expect((failure as { stdout: string }).stdout.trim().split('\n')).toHaveLength(3);
});

it('writes at once when a turn holds 64 KiB, so a burst is not held (nor dropped) until the turn ends', () => {
  const { stream, writes } = recorder();
  const destination = stdoutDestination(stream);
  const line = `{"msg":"${'x'.repeat(1000)}"}\n`;
  for (let n = 0; n < 100; n++) destination.write(line);
  expect(writes.length).toBeGreaterThan(0);
  expect(writes.join('').length).toBeGreaterThanOrEqual(64 * 1024);
});
