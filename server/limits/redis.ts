/**
 * The WindowCounters port on Redis (BUS=redis, REDIS_URL):
 * rate-limiter-flexible's RateLimiterRedis, one key per limit and IP with
 * the window as its TTL (one Lua INCR, atomic across nodes). A connection of
 * its own, never one of the bus's (a subscribed connection takes no other
 * command). It connects in the background and reconnects with backoff;
 * while it is not ready, calls reject at once rather than queue (the
 * insured wrapper then counts in memory: insured.ts).
 */
import { Redis } from 'ioredis';
import RateLimiterRedis from 'rate-limiter-flexible/lib/RateLimiterRedis.js';
import type { DomainLogger, WindowCounters } from '../domain/ports.js';
import { flexibleCounter, limiterOptions } from './flexible.js';

export interface RedisCounters {
  counters: WindowCounters;
  close(): Promise<void>;
}

/** Reconnect delay in ms after `times` failed attempts: doubling from 50, at most 2000 (as the bus's). */
const backoff = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2000);

export function openRedisCounters(url: string, logger: DomainLogger): RedisCounters {
  const client = new Redis(url, {
    retryStrategy: backoff,
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
  return {
    counters: (name, windowMs) =>
      flexibleCounter(new RateLimiterRedis({ storeClient: client, rejectIfRedisNotReady: true, ...limiterOptions(name, windowMs) })),
    async close() {
      client.disconnect();
    },
  };
}
