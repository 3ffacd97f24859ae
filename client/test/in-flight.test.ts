import { expect, it } from 'vitest';
import { useTestServer } from '../../server/test/harness.js';
import { contiguous, nodeClient, record, wholeHistory } from './helpers.js';

const t = useTestServer();

it('takes 1,000 messages in flight at once: each resolves once, in send order, stored once', async () => {
  const client = nodeClient(t.server.httpUrl);
  await client.open('f-1000');
  await client.connect();
  const seen = record(client, 'message');
  const count = 1000;
  let settled = 0;
  const sends = Array.from({ length: count }, (_, i) => client.send(`m${i}`).finally(() => settled++));
  expect(client.pending()).toHaveLength(count);
  const acked = await Promise.all(sends);
  expect(settled).toBe(count);
  expect(acked.map((m) => m.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  expect(acked.map((m) => m.body)).toEqual(Array.from({ length: count }, (_, i) => `m${i}`));
  expect(seen.map((m) => m.seq)).toEqual(acked.map((m) => m.seq));
  expect(seen.every((m) => m.own)).toBe(true);
  expect(client.pending()).toEqual([]);
  const stored = await wholeHistory(client);
  expect(stored).toHaveLength(count);
  expect(contiguous(stored)).toBe(true);
});
