/**
 * Presence across nodes must not outlive a node (issue 14): two built nodes
 * on one database, clients of one session on both; one node is SIGKILLed
 * (it never says 0), and the survivor's clients see the presence drop to
 * their own count, within PRESENCE_TTL_INTERVALS + 1 heal intervals (the
 * figure measured is printed; the machine is shared, so it is not asserted).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBPROTOCOL, type PresenceFrame, type ReadyFrame } from '../../protocol/wire.js';
import { ServerProcess } from '../../e2e/server-process.js';
import { PRESENCE_TTL_INTERVALS } from '../ws/presence.js';
import { register, TestClient } from './harness.js';
import { postgresUrl } from './pg-fixture.js';
import { createDatabase } from './services/postgres.js';
import { startRedis, type PrivateRedis } from './services/redis.js';

const MAIN = resolve(import.meta.dirname, '../../dist/server/main.js');
const HEAL_INTERVAL_MS = 200;

let redis: PrivateRedis;
beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test builds before vitest)`);
  redis = await startRedis();
}, 60_000);
afterAll(() => redis?.stop());

/** The presence each client was last told (by `ready`, then by presence frames). */
const told = new Map<TestClient, number>();

/** Presence frames until the client is told `count` (the count of a node may arrive in steps). */
async function presenceReaches(client: TestClient, count: number): Promise<void> {
  while (told.get(client) !== count) {
    const frame = await client.nextJson<PresenceFrame>();
    if (frame.type === 'presence') told.set(client, frame.count);
  }
}

describe.each(['postgres', 'redis'] as const)('presence after a node dies, BUS=%s', (bus) => {
  const nodes: ServerProcess[] = [];
  let database: { url: string; drop(): Promise<void> };
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
    for (const n of nodes) n.removeData();
    await database?.drop();
  }, 60_000);

  it("drops the dead node's connections from the survivor's count", async () => {
    database = await createDatabase(postgresUrl());
    const env = (nodeId: string) => ({
      DATABASE_URL: database.url,
      BUS: bus,
      REDIS_URL: redis.url,
      NODE_ID: nodeId,
      HEAL_INTERVAL_MS: String(HEAL_INTERVAL_MS),
      LOG_LEVEL: 'info', // the start line (ports) is info
    });
    const [doomed, survivor] = await Promise.all([ServerProcess.start({ env: env(`doomed-${bus}`) }), ServerProcess.start({ env: env(`survivor-${bus}`) })]);
    nodes.push(doomed!, survivor!);
    const s = await register(doomed!, `wake-${bus}`);
    const open = async (node: ServerProcess) => {
      const client = new TestClient(`ws://127.0.0.1:${node.wsPort}/ws/${s.id}`, { protocol: SUBPROTOCOL, token: s.token, presence: true });
      await client.opened;
      const ready = await client.nextJson<ReadyFrame>();
      expect(ready.type).toBe('ready');
      told.set(client, ready.presence ?? 0);
      return client;
    };
    const watchers = [await open(survivor!), await open(survivor!)];
    const gone = [await open(doomed!), await open(doomed!), await open(doomed!)];
    for (const client of [...watchers, ...gone]) await presenceReaches(client, 5);

    const killedAt = performance.now();
    expect(await doomed!.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    await Promise.all(watchers.map((client) => presenceReaches(client, 2)));
    const tookMs = Math.round(performance.now() - killedAt);
    console.warn(`BUS=${bus}: presence 5 -> 2 on the survivor ${tookMs} ms after SIGKILL (bound ${(PRESENCE_TTL_INTERVALS + 1) * HEAL_INTERVAL_MS} ms)`);

    // A newcomer on the survivor counts the living only.
    const late = await open(survivor!);
    for (const client of watchers) await presenceReaches(client, 3);
    for (const client of [...watchers, late]) client.ws.terminate();
  }, 60_000);
});
