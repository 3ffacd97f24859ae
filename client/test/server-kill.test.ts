import { afterEach, expect, it } from 'vitest';
import { ServerProcess } from '../../e2e/server-process.js';
import type { Message } from '../src/index.js';
import { contiguous, nodeClient, record, wholeHistory } from './helpers.js';

// The built server (dist/server/main.js) as a child process, so it can be killed with SIGKILL.
let servers: ServerProcess[] = [];
afterEach(async () => {
  for (const server of servers) await server.stop('SIGKILL');
  servers[0]?.removeData();
  servers = [];
});

it('survives a SIGKILL of the server mid-send: every promise resolves once, nothing is stored twice, order is kept', async () => {
  // No rate limit: a refusal for now is resent later and may land after newer messages (limits.test.ts).
  servers.push(await ServerProcess.start({ env: { WS_RATE_LIMIT: '0' } }));
  const baseUrl = servers[0]!.httpUrl;
  const client = nodeClient(baseUrl, { backoff: { minMs: 50, maxMs: 500 } });
  await client.open('k-kill');
  await client.connect();
  const seen = record(client, 'message');
  const states = record(client, 'state');

  const outcomes: Array<'resolved' | 'rejected'> = [];
  const sends: Promise<Message>[] = [];
  const sendMany = (from: number, count: number) => {
    for (let i = from; i < from + count; i++) {
      const sent = client.send(`msg ${i} ${'x'.repeat(2000)}`);
      sent.then(() => outcomes.push('resolved'), () => outcomes.push('rejected'));
      sends.push(sent);
    }
  };
  sendMany(0, 100);
  await Promise.all(sends);
  // A second batch, killed at its first acknowledgement: part of it is committed and not yet
  // acknowledged, part is on the wire or in the commit queue, never committed.
  sendMany(100, 200);
  await seen.until((all) => all.length > 100);
  expect(client.pending().length).toBeGreaterThan(0);
  await servers[0]!.stop('SIGKILL');
  await states.until((all) => all.some((s) => s.status === 'reconnecting'));
  sendMany(300, 100); // sent while the server is down: kept in the outbox
  servers.push(await servers[0]!.restart());

  const acked = await Promise.all(sends);
  expect(outcomes).toHaveLength(400);
  expect(outcomes.every((o) => o === 'resolved')).toBe(true);
  // Order kept: seq follows send order.
  expect(acked.map((m) => m.body)).toEqual(Array.from({ length: 400 }, (_, i) => `msg ${i} ${'x'.repeat(2000)}`));
  expect(acked.map((m) => m.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
  // Every message delivered once, in order, across the kill.
  expect(seen.map((m) => m.seq)).toEqual(acked.map((m) => m.seq));
  const stored = await wholeHistory(client);
  expect(stored).toHaveLength(400);
  expect(contiguous(stored)).toBe(true);
  expect(stored.map((m) => m.id)).toEqual(acked.map((m) => m.id));
  expect(client.pending()).toEqual([]);
});
