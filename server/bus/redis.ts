/**
 * The Redis bus (BUS=redis, REDIS_URL): pub/sub on one channel, one
 * connection to publish and one to subscribe (a subscribed connection takes
 * no other command). ioredis reconnects with backoff; the bus subscribes
 * again itself, once per connection (ioredis's own resubscribe is off: with
 * both, every connection sent SUBSCRIBE twice), and after each reconnect the
 * node resyncs its sessions (cluster.ts, heal.ts), since messages published
 * meanwhile are lost.
 */
import { Redis } from 'ioredis';
import type { DomainLogger } from '../domain/ports.js';
import { createClusterCore, type ClusterBus } from './cluster.js';

export interface RedisBusOptions {
  nodeId: string;
  logger: DomainLogger;
  channel: string;
  /** The cluster's key: hints then carry their messages sealed when they fit (cluster.ts). */
  key?: Buffer;
}

/** Redis takes payloads of any size; past this a hint goes alone, as the read of 64 KiB from the store costs less than its copies. */
const MAX_SEALED_BYTES = 65_536;

/** The client name of a node's subscriber connection (CLIENT LIST shows it; the fault tests find it by this). */
export const subscriberName = (nodeId: string): string => `wss-bus-sub-${nodeId}`;
/** The client name of a node's publisher connection (the cluster run's quiet tail kills it by this). */
export const publisherName = (nodeId: string): string => `wss-bus-pub-${nodeId}`;

/** Reconnect delay in ms after `times` failed attempts: doubling from 50, at most 2000. */
export const backoff = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2000);

/**
 * Connects both connections and subscribes. Redis down at start does not
 * stop the node: the bus starts disconnected (wss_bus_connected 0), the heal
 * timer keeps every connection correct, and the bus connects (then resyncs)
 * once Redis answers.
 */
export async function openRedisBus(url: string, options: Partial<RedisBusOptions> & Pick<RedisBusOptions, 'nodeId' | 'logger'>): Promise<ClusterBus> {
  const { nodeId, logger, channel, key } = { channel: 'wss_bus', ...options };
  // The largest payload we send is one sealed envelope: its limit, plus the envelope around it.
  const core = createClusterCore(nodeId, logger, { key, maxSealedBytes: MAX_SEALED_BYTES, maxPayloadLength: MAX_SEALED_BYTES + 4096 });
  const common = { lazyConnect: true, retryStrategy: backoff, maxRetriesPerRequest: 1 };
  // Publishing while disconnected fails at once (the hint is dropped) rather than queueing stale hints.
  const pub = new Redis(url, { ...common, enableOfflineQueue: false, connectionName: publisherName(nodeId) });
  const sub = new Redis(url, { ...common, autoResubscribe: false, connectionName: subscriberName(nodeId) });
  // Each failed reconnect attempt errors: said once per outage, not every backoff step.
  for (const connection of [pub, sub]) {
    let reported = false;
    connection.on('error', (err: Error) => {
      if (!reported) logger.warn({ err: err.message }, 'bus: Redis connection error');
      reported = true;
    });
    connection.on('ready', () => (reported = false));
  }
  sub.on('message', (ch: string, payload: string) => {
    if (ch === channel) core.receive(payload);
  });
  sub.on('close', () => core.setConnected(false));
  /** After a reconnect: connected (and resynced) once the subscription is back. */
  const resubscribe = () => {
    sub.subscribe(channel).then(
      () => core.setConnected(true),
      (err: Error) => logger.warn({ err: err.message }, 'bus: subscribing again failed'),
    );
  };

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
    // ioredis goes on trying (retryStrategy); each 'ready' below subscribes and connects the bus.
    logger.warn({ err: (err as Error).message }, 'bus: Redis cannot be reached at start');
    // The subscriber may be up already (the publisher failed, or the SUBSCRIBE did): subscribe now.
    if (sub.status === 'ready') resubscribe();
  }
  // From now on, each 'ready' is a (re)connect (a first one came before the SUBSCRIBE above).
  sub.on('ready', resubscribe);
  core.opened();
  return core.bus;
}
