/**
 * The WindowCounters port on Redis (BUS=redis, REDIS_URL):
 * rate-limiter-flexible's RateLimiterRedis, one key per limit and IP with
 * the window as its TTL (one Lua INCR, atomic across nodes). A connection of
 * its own, never one of the bus's (a subscribed connection takes no other
 * command). It connects in the background and reconnects with the bus's backoff;
 * while it is not ready, calls reject at once rather than queue (the
 * insured wrapper then counts in memory: insured.ts).
 */
import { Redis } from 'ioredis';
import RateLimiterRedis from 'rate-limiter-flexible/lib/RateLimiterRedis.js';
import { backoff } from '../bus/redis.js';
import type { DomainLogger, WindowCounters } from '../domain/ports.js';
import { flexibleCounter, limiterOptions } from './flexible.js';

export interface RedisCounters {
  counters: WindowCounters;
  close(): Promise<void>;
}

/** How long one connection attempt may take (ioredis' default is 10 s). */
const CONNECT_TIMEOUT_MS = 2000;

/**
 * Connects and resolves once the connection is ready or its first attempt
 * failed (then it goes on trying in the background): a Redis that is down
 * at start does not hold the node's start.
 */
export async function openRedisCounters(url: string, logger: DomainLogger): Promise<RedisCounters> {
  const client = new Redis(url, {
    retryStrategy: backoff,
    connectTimeout: CONNECT_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectionName: 'wss-ip-limits',
  });
  // Each failed attempt errors: said once per outage, not every backoff step.
  let reported = false;
  client.on('error', (err: Error) => {
    if (!reported) logger.warn({ err: err.message }, 'per-IP limits: Redis connection error');
    reported = true;
  });
  client.on('ready', () => (reported = false));
  await new Promise<void>((resolve) => {
    const settled = () => {
      client.off('ready', settled).off('error', settled);
      resolve();
    };
    client.once('ready', settled).once('error', settled);
  });
  return {
    counters: (name, windowMs) =>
      flexibleCounter(new RateLimiterRedis({ storeClient: client, rejectIfRedisNotReady: true, ...limiterOptions(name, windowMs) })),
    async close() {
      client.disconnect();
    },
  };
}
