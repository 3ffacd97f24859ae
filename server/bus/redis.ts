/**
 * The Redis bus (BUS=redis, REDIS_URL): pub/sub on one channel, one
 * connection to publish and one to subscribe (a subscribed connection takes
 * no other command). ioredis reconnects with backoff and subscribes again by
 * itself; after each reconnect the node resyncs its sessions (cluster.ts,
 * heal.ts), since messages published meanwhile are lost.
 */
import { Redis } from 'ioredis';
import type { DomainLogger } from '../domain/ports.js';
import { createClusterCore, type ClusterBus } from './cluster.js';

export interface RedisBusOptions {
  nodeId: string;
  logger: DomainLogger;
  channel: string;
}

/** The client name of a node's subscriber connection (CLIENT LIST shows it; the fault tests find it by this). */
export const subscriberName = (nodeId: string): string => `wss-bus-sub-${nodeId}`;
/** The client name of a node's publisher connection (the cluster run's quiet tail kills it by this). */
export const publisherName = (nodeId: string): string => `wss-bus-pub-${nodeId}`;

/** Reconnect delay in ms after `times` failed attempts: doubling from 50, at most 2000. */
const backoff = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2000);

/** Connects both connections (rejecting when Redis cannot be reached) and subscribes. */
export async function openRedisBus(url: string, options: Partial<RedisBusOptions> & Pick<RedisBusOptions, 'nodeId' | 'logger'>): Promise<ClusterBus> {
  const { nodeId, logger, channel } = { channel: 'wss_bus', ...options };
  const core = createClusterCore(nodeId, logger);
  const common = { lazyConnect: true, retryStrategy: backoff, maxRetriesPerRequest: 1 };
  // Publishing while disconnected fails at once (the hint is dropped) rather than queueing stale hints.
  const pub = new Redis(url, { ...common, enableOfflineQueue: false, connectionName: publisherName(nodeId) });
  const sub = new Redis(url, { ...common, connectionName: subscriberName(nodeId) });
  for (const connection of [pub, sub]) connection.on('error', (err: Error) => logger.warn({ err: err.message }, 'bus: Redis connection error'));
  sub.on('message', (ch: string, payload: string) => {
    if (ch === channel) core.receive(payload);
  });
  // ioredis emits 'ready' just before it subscribes again: connected (and resynced) once the subscription is back.
  sub.on('ready', () => {
    sub.subscribe(channel).then(
      () => core.setConnected(true),
      (err: Error) => logger.warn({ err: err.message }, 'bus: subscribing again failed'),
    );
  });
  sub.on('close', () => core.setConnected(false));

  core.attach({
    send(payload) {
      if (pub.status !== 'ready') return false;
      pub.publish(channel, payload).catch((err: Error) => logger.warn({ err: err.message }, 'bus: publish failed'));
      return true;
    },
    async close() {
      pub.disconnect();
      sub.disconnect();
    },
  });

  try {
    await Promise.all([pub.connect(), sub.connect()]);
    await sub.subscribe(channel);
    core.setConnected(true);
  } catch (err) {
    await core.bus.close();
    throw err;
  }
  return core.bus;
}
