/**
 * Chooses the message bus: the one place that knows which buses exist.
 * `local` (one node, in process); between nodes, `postgres` (LISTEN/NOTIFY
 * on DATABASE_URL, the default when it is set: no other service) or `redis`
 * (pub/sub on REDIS_URL). A cross-node bus is a file beside local.ts built on
 * cluster.ts, and one branch here.
 */
import type { Config } from '../config.js';
import type { DomainLogger, MessageBus } from '../domain/ports.js';
import { generateNodeId, type ClusterBus } from './cluster.js';
import { createLocalBus } from './local.js';
import { openPostgresBus } from './postgres.js';
import { openRedisBus } from './redis.js';

export type BusConfig = Pick<Config, 'bus' | 'databaseUrl' | 'redisUrl' | 'nodeId'>;

/** The bus BUS names, or its default: postgres with DATABASE_URL, else local. */
export const busKind = (config: Pick<Config, 'bus' | 'databaseUrl'>): 'local' | 'postgres' | 'redis' =>
  config.bus !== '' ? config.bus : config.databaseUrl !== '' ? 'postgres' : 'local';

/** Is this a bus between nodes (the heal timer and the bus metrics need one)? */
export const isClusterBus = (bus: MessageBus): bus is ClusterBus => typeof (bus as Partial<ClusterBus>).deliverLocally === 'function';

/**
 * Opens the configured bus; `key` is the store's `clusterKey()`, which lets
 * a cross-node bus carry messages sealed (cluster.ts, seal.ts). A cross-node bus that cannot connect at start
 * starts disconnected and connects by itself later (postgres.ts, redis.ts):
 * the node runs, its fan-out to other nodes by the heal timer meanwhile.
 */
export async function openBus(config: BusConfig, logger: DomainLogger, options: { key?: Buffer } = {}): Promise<MessageBus> {
  const kind = busKind(config);
  const nodeId = config.nodeId || generateNodeId();
  const { key } = options;
  if (kind === 'postgres') return openPostgresBus(config.databaseUrl, { nodeId, logger, key });
  if (kind === 'redis') return openRedisBus(config.redisUrl, { nodeId, logger, key });
  return createLocalBus(logger);
}
