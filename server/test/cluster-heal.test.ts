/**
 * Lost hints between nodes (issue 14: "correctness never depends on the
 * bus"). A message committed without a hint (a node that died between
 * COMMIT and publish: appended here by a store with no bus) is the "quiet
 * tail": nothing else is sent to the session. The heal timer brings the
 * observers on another node up to last_seq; with the timer off they stay
 * behind, until the bus reconnects and the node resyncs its sessions.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EchoFrame } from '../../protocol/wire.js';
import { listenerName } from '../bus/postgres.js';
import { createLogger } from '../logger.js';
import { openPostgresStore, type PostgresStore } from '../store/postgres/index.js';
import { metricValue, startNode, type ClusterNode } from './cluster-fixture.js';
import { register } from './harness.js';
import { postgresUrl } from './pg-fixture.js';
import { admin, createDatabase } from './services/postgres.js';

let database: { url: string; drop(): Promise<void> };
let writer: PostgresStore;
const nodes: ClusterNode[] = [];

beforeAll(async () => {
  database = await createDatabase(postgresUrl());
  writer = await openPostgresStore(database.url, { logger: createLogger({ level: 'silent', format: 'json' }) });
}, 60_000);
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await writer.close();
  await database.drop();
}, 60_000);

const node = async (nodeId: string, healIntervalMs: number) => {
  const n = await startNode({ databaseUrl: database.url, nodeId, healIntervalMs });
  nodes.push(n);
  return n;
};

/** Commits a message with no hint on any bus: the node that wrote it died before publishing. */
async function commitWithoutHint(sessionId: string, body: string): Promise<number> {
  const { pk } = (await writer.sessions.findById(sessionId))!;
  const [result] = await writer.messages.append([{ sessionPk: pk, clientId: null, body }]);
  return (result as { seq: number }).seq;
}

async function nextEcho(client: Awaited<ReturnType<ClusterNode['connect']>>): Promise<EchoFrame> {
  for (;;) {
    const frame = await client.nextJson<EchoFrame>();
    if (frame.type === 'echo') return frame;
  }
}

it('heals a quiet tail: an observer on another node reaches last_seq though no hint came', async () => {
  const a = await node('heal-a', 1000);
  const b = await node('heal-b', 100);
  const s = await register(a, 'quiet');
  const observer = await b.connect('quiet', s.token);
  expect(await observer.nextJson()).toMatchObject({ type: 'ready', lastSeq: 0 });
  const seq = await commitWithoutHint('quiet', 'the last word');
  expect(await nextEcho(observer)).toMatchObject({ seq, text: 'quiet: the last word' });
  expect(metricValue(await b.metrics(), 'wss_heals_total')).toBeGreaterThanOrEqual(1);
  observer.ws.terminate();
});

it('without the heal timer the quiet tail stays behind, until a bus reconnect resyncs the node', async () => {
  const a = await node('off-a', 3_600_000);
  const b = await node('off-b', 3_600_000);
  const quiet = await register(a, 'quiet-off');
  const busy = await register(a, 'busy-off');
  const observer = await b.connect('quiet-off', quiet.token);
  const other = await b.connect('busy-off', busy.token);
  const sender = await a.connect('busy-off', busy.token);
  for (const c of [observer, other, sender]) expect(await c.nextJson()).toMatchObject({ type: 'ready' });

  await commitWithoutHint('quiet-off', 'nobody told');
  // A hint committed after it reaches node b (the bus keeps one order): b has heard all it will hear.
  sender.send({ type: 'send', id: 'later', text: 'later' });
  expect(await nextEcho(other)).toMatchObject({ id: 'later' });
  expect(b.diagnostics.connections('quiet-off').map((c) => c.cursor)).toEqual([0]);

  // The LISTEN connection is killed; when it is back the node resyncs its sessions from the store.
  await admin(postgresUrl(), 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [listenerName('off-b')]);
  expect(await nextEcho(observer)).toMatchObject({ seq: 1, text: 'quiet-off: nobody told' });
  expect(metricValue(await b.metrics(), 'wss_bus_resyncs_total')).toBe(1);
  for (const c of [observer, other, sender]) c.ws.terminate();
});

it('heals a lost revocation: a socket on another node authorised with the old token is closed with 4002, the new token\'s is not', async () => {
  const a = await node('rev-a', 1000);
  const b = await node('rev-b', 100);
  const s = await register(a, 'revoked-quiet');
  const held = await b.connect('revoked-quiet', s.token);
  expect(await held.nextJson()).toMatchObject({ type: 'ready' });
  // Revoked in the store by a node that died before publishing `revoked`: no event reaches node b.
  const { pk, tokenHash } = (await writer.sessions.findById('revoked-quiet'))!;
  const token = randomBytes(32).toString('base64url');
  expect(await writer.sessions.replaceTokenHash(pk, tokenHash, createHash('sha256').update(token).digest())).toBe(true);
  const fresh = await b.connect('revoked-quiet', token);
  expect(await fresh.nextJson()).toMatchObject({ type: 'ready' });
  expect(await held.closed).toEqual({ code: 4002, reason: expect.stringContaining('token_revoked') });
  expect(metricValue(await b.metrics(), 'wss_heals_total')).toBeGreaterThanOrEqual(1);
  // The socket with the session's token stays: a pass that listed it (it brings this quiet tail) leaves it open.
  const seq = await commitWithoutHint('revoked-quiet', 'healed, not closed');
  expect(await nextEcho(fresh)).toMatchObject({ seq, text: 'revoked-quiet: healed, not closed' });
  fresh.send({ type: 'send', id: 'after', text: 'still here' });
  expect(await nextEcho(fresh)).toMatchObject({ id: 'after' });
  fresh.ws.terminate();
});

// The control: what closed the socket above was the heal timer, not anything else.
it('leaves a lost revocation unhealed with the heal timer off', async () => {
  const b = await node('rev-off', 3_600_000);
  const s = await register(b, 'revoked-off');
  const held = await b.connect('revoked-off', s.token);
  expect(await held.nextJson()).toMatchObject({ type: 'ready' });
  const { pk, tokenHash } = (await writer.sessions.findById('revoked-off'))!;
  expect(await writer.sessions.replaceTokenHash(pk, tokenHash, randomBytes(32))).toBe(true);
  // A message sent and echoed after the revocation: the socket is still open, nothing closed it.
  held.send({ type: 'send', id: 'open', text: 'nobody closed me' });
  expect(await nextEcho(held)).toMatchObject({ id: 'open' });
  held.ws.terminate();
});
