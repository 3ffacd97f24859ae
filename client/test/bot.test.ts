import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';
import { tempDir, useTestServer } from '../../server/test/harness.js';
import { nodeClient, record, sharedTokens } from './helpers.js';

const t = useTestServer();
const BOT = resolve(import.meta.dirname, '../../examples/bot.mjs');

it('examples/bot.mjs joins a session someone opened and answers its messages', async () => {
  expect(existsSync(resolve(import.meta.dirname, '../dist/client/src/node/index.js')), 'build the library first: npm run build -w client').toBe(true);
  const state = tempDir();
  const tokens = sharedTokens();
  const person = nodeClient(t.server.httpUrl, { tokenStore: tokens });
  await person.open('bot-room');
  await person.connect();
  const seen = record(person, 'message');

  const bot = spawn(process.execPath, [BOT], {
    env: { ...process.env, BASE_URL: t.server.httpUrl, SESSION_ID: 'bot-room', SESSION_TOKEN: tokens.get('bot-room')!, STATE_DIR: state.dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  bot.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => bot.once('exit', done));
  try {
    const lines = createInterface({ input: bot.stdout! })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('bot joined session bot-room');

    await person.send('ping');
    await person.send('héllo 👋');
    await seen.until((all) => all.filter((m) => !m.own).length === 2);
    expect(seen.filter((m) => m.own).map((m) => m.body)).toEqual(['ping', 'héllo 👋']);
    expect(seen.filter((m) => !m.own).map((m) => m.body)).toEqual(['🤖 pong', '🤖 you said "héllo 👋" (7 characters)']);
    // It answers once each and not its own answers: one more message from the person gets exactly one more answer.
    await person.send('last');
    await seen.until((all) => all.some((m) => m.body === '🤖 you said "last" (4 characters)'));
    expect(seen.filter((m) => !m.own)).toHaveLength(3);
    bot.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  } finally {
    bot.kill('SIGKILL');
    state.remove();
  }
});
