/**
 * Chooses where the per-IP limits count (registrations, failed
 * authentications; ../ip-limits.ts): the one place that knows which shared
 * stores exist. With BUS=redis, in Redis; else in the store when it offers
 * shared counters (PostgreSQL); else in this process's memory (SQLite: one
 * node). A shared store is insured by memory while it fails (insured.ts).
 */
import type { Config } from '../config.js';
import type { DomainLogger, Store, WindowCounters } from '../domain/ports.js';
import { busKind } from '../bus/index.js';
import { memoryCounters } from './flexible.js';
import { insuredCounters } from './insured.js';
import { openRedisCounters } from './redis.js';

export interface IpCounters {
  counters: WindowCounters;
  /** Where the counts are kept. */
  readonly kind: 'memory' | 'postgres' | 'redis';
  /** Calls the memory insurance answered while the shared store failed (0 for memory). */
  fallbacks(): number;
  close(): Promise<void>;
}

export async function openIpCounters(config: Pick<Config, 'bus' | 'databaseUrl' | 'redisUrl'>, store: Pick<Store, 'windowCounters'>, logger: DomainLogger): Promise<IpCounters> {
  if (busKind(config) === 'redis') {
    const redis = await openRedisCounters(config.redisUrl, logger);
    const insured = insuredCounters(redis.counters, { logger, storeName: 'Redis' });
    return { counters: insured.counters, kind: 'redis', fallbacks: insured.fallbacks, close: redis.close };
  }
  if (store.windowCounters) {
    const insured = insuredCounters(store.windowCounters, { logger, storeName: 'PostgreSQL' });
    return { counters: insured.counters, kind: 'postgres', fallbacks: insured.fallbacks, close: async () => undefined };
  }
  return { counters: memoryCounters, kind: 'memory', fallbacks: () => 0, close: async () => undefined };
}
