import { expect, it } from 'vitest';
import type { EchoFrame } from '../../protocol/wire.js';
import { register, useTestServer } from './harness.js';

const t = useTestServer();

it('commits messages that arrive together in one transaction, and echoes each once in seq order', async () => {
  const clients = [];
  for (const id of ['gc-a', 'gc-b', 'gc-c', 'gc-d']) {
    const { token } = await register(t.server, id);
    const client = await t.connect(id, { token, json: true });
    expect(await client.nextJson()).toMatchObject({ type: 'ready', lastSeq: 0 });
    clients.push(client);
  }
  const perClient = 200;
  const before = t.server.diagnostics.commits();

  for (const client of clients) {
    for (let i = 0; i < perClient; i++) client.send({ type: 'send', id: `m${i}`, text: `message ${i}` });
  }
  for (const client of clients) {
    for (let i = 0; i < perClient; i++) {
      expect(await client.nextJson<EchoFrame>()).toMatchObject({ type: 'echo', seq: i + 1, id: `m${i}` });
    }
  }

  const after = t.server.diagnostics.commits();
  const appends = after.appends - before.appends;
  const batches = after.batches - before.batches;
  expect(appends).toBe(clients.length * perClient);
  // 800 messages sent at once: far fewer commits than messages.
  expect(batches).toBeLessThan(appends / 10);
});
