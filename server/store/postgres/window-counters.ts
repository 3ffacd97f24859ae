/**
 * The WindowCounters port on PostgreSQL: rate-limiter-flexible's
 * RateLimiterPostgres on a small pool of its own (database.ts openLimitsPool), in the `ip_limits` table of
 * migration 2 (one row per limit and IP: an upsert per count, atomic across
 * nodes). Rows of ended windows are deleted by the library an hour after
 * they end, every five minutes (an unref'd timer).
 */
import RateLimiterPostgres from 'rate-limiter-flexible/lib/RateLimiterPostgres.js';
import type { WindowCounters } from '../../domain/ports.js';
import { flexibleCounter, limiterOptions } from '../../limits/flexible.js';
import type { Pool } from './database.js';

export const createWindowCounters =
  (pool: Pool): WindowCounters =>
  (name, windowMs) =>
    flexibleCounter(new RateLimiterPostgres({ storeClient: pool, storeType: 'pool', tableName: 'ip_limits', tableCreated: true, ...limiterOptions(name, windowMs) }));
