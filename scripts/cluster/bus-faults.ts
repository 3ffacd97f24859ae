/**
 * Killing the bus connections of nodes from outside, as a network cut or a
 * restart of the bus's server would: pg_terminate_backend of a node's LISTEN
 * connection (found by its application_name, bus/postgres.ts), or Redis'
 * CLIENT KILL (the subscribers by TYPE pubsub; one node's publisher by the ID
 * CLIENT LIST gives its name, bus/redis.ts).
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { listenerName } from '../../server/bus/postgres.js';
import { publisherName } from '../../server/bus/redis.js';

export interface BusFaults {
  /** Kills the bus connection(s) the fault loop aims at (for Redis every node's subscriber); resolves with how many. */
  kill(nodeId: string): Promise<number>;
  /** Kills the connection that carries `nodeId`'s hints out (its LISTEN/NOTIFY connection; its Redis publisher). */
  killSender(nodeId: string): Promise<number>;
  close(): Promise<void>;
}

export async function postgresBusFaults(adminUrl: string): Promise<BusFaults> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const terminate = async (nodeId: string) => {
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1',
      [listenerName(nodeId)],
    );
    return rows[0]!.n;
  };
  return { kill: terminate, killSender: terminate, close: () => client.end() };
}

export async function redisBusFaults(url: string): Promise<BusFaults> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  return {
    async kill() {
      return Number(await client.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
    },
    async killSender(nodeId) {
      const name = publisherName(nodeId);
      const list = String(await client.call('CLIENT', 'LIST', 'TYPE', 'normal'));
      const ids = list.split('\n').filter((line) => line.includes(` name=${name} `)).map((line) => /^id=(\d+)/.exec(line)?.[1]);
      let killed = 0;
      for (const id of ids) if (id) killed += Number(await client.call('CLIENT', 'KILL', 'ID', id));
      return killed;
    },
    async close() {
      client.disconnect();
    },
  };
}
