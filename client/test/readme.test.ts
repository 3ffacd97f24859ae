import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { history, useTestServer } from '../../server/test/harness.js';

/** The README's "Use it from your code" Node quick start, run as written against a real server. */
const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const t = useTestServer();
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function nodeQuickStart(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it from your code'));
  const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block, 'the Node quick start').toMatch(/websocket-session-client\/node/);
  return block!;
}

it('the README\'s Node quick start registers, connects, sends and is acknowledged', async () => {
  // Inside the repository, so `websocket-session-client` and `ws` resolve as for a user who installed them.
  dir = mkdtempSync(join(ROOT, 'node_modules', '.readme-'));
  writeFileSync(join(dir, 'quick-start.mjs'), nodeQuickStart());
  const { stdout } = await run(process.execPath, ['quick-start.mjs'], { cwd: dir, env: { ...process.env, BASE_URL: t.server.httpUrl } });
  expect(stdout.split('\n').filter(Boolean)).toEqual(['1 bot-0101: hello', 'acknowledged as seq 1']);
  // The token store kept the session's token: it reads the history the send committed.
  const tokens = JSON.parse(readFileSync(join(dir, '.state/tokens.json'), 'utf8')) as Record<string, string>;
  const stored = await history(t.server, 'bot-0101', tokens['bot-0101']);
  expect(stored.messages.map((m) => m.body)).toEqual(['hello']);
});
