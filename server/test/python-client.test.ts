import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { history, register, useTestServer } from './harness.js';

/**
 * The original demo's clients are Python `websockets` scripts: one must still
 * work unchanged but for the token. Debian's python3-websockets is installed
 * by scripts/ensure-test-deps.sh.
 */
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const CLIENT = resolve(import.meta.dirname, 'legacy_client.py');
const run = promisify(execFile);

const t = useTestServer();

it('a Python websockets client given the token gets "<ID>: <text>" on the WebSocket port', async () => {
  const { token } = await register(t.server, '0101');
  const url = `${t.server.wsUrl}/ws/0101?token=${token}`;
  const { stdout } = await run(PYTHON, [CLIENT, url, 'hello', 'olá, mundo']);
  expect(stdout.split('\n').filter(Boolean)).toEqual(['0101: hello', '0101: olá, mundo']);
  const page = await history(t.server, '0101', token);
  expect(page.messages.map((m) => m.body)).toEqual(['hello', 'olá, mundo']);
});

it('a Python websockets client without the token is refused with 401', async () => {
  await register(t.server, '0102');
  const failure = await run(PYTHON, [CLIENT, `${t.server.wsUrl}/ws/0102`, 'hello']).then(
    () => null,
    (err: { stderr: string }) => err.stderr,
  );
  expect(failure).toMatch(/HTTP 401/);
});

it('the README\'s Python client is a complete program: it registers, connects and prints the echo', async () => {
  const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const source = /```python\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(source).toContain('asyncio.run(main(');
  const script = join(t.dir, 'client.py');
  writeFileSync(
    script,
    source!.replace('"http://localhost:8080"', JSON.stringify(t.server.httpUrl)).replace('"ws://localhost:8765"', JSON.stringify(t.server.wsUrl)),
  );
  const { stdout } = await run(PYTHON, [script, 'py-readme']);
  expect(stdout.trim()).toBe('py-readme: hello');
  // With the token of an ID registered before.
  const { token } = await register(t.server, 'py-known');
  expect((await run(PYTHON, [script, 'py-known', token])).stdout.trim()).toBe('py-known: hello');
});
