/**
 * The WindowCounter port (domain/ports.ts) over a rate-limiter-flexible
 * limiter, whatever its store: `penalty` adds points without ever rejecting
 * and `get` reads them, so the limit itself stays with the policy
 * (../ip-limits.ts) and one adapter serves memory, PostgreSQL and Redis.
 */
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import RateLimiterMemory from 'rate-limiter-flexible/lib/RateLimiterMemory.js';
import type { WindowCount, WindowCounter, WindowCounters } from '../domain/ports.js';

/** The library asks for a limit (`points`) even where nothing is consumed against it. */
const UNUSED_LIMIT = 1;

const countOf = (res: RateLimiterRes): WindowCount => ({ points: res.consumedPoints, msLeft: res.msBeforeNext });

/** `limiter` as a WindowCounter; its store's errors reject as they are. */
export function flexibleCounter(limiter: Pick<RateLimiterAbstract, 'penalty' | 'get'>): WindowCounter {
  return {
    add: async (key, points) => countOf(await limiter.penalty(key, points)),
    async get(key) {
      const res = await limiter.get(key);
      return res && res.consumedPoints > 0 ? countOf(res) : null;
    },
  };
}

/** The options every store's limiter takes: the window in whole seconds, `name` as the key prefix. */
export const limiterOptions = (name: string, windowMs: number) => ({
  keyPrefix: name,
  points: UNUSED_LIMIT,
  duration: Math.max(1, Math.round(windowMs / 1000)),
});

/** Counters in this process's memory: one small entry per key with an open window, dropped when it ends. */
export const memoryCounters: WindowCounters = (name, windowMs) => flexibleCounter(new RateLimiterMemory(limiterOptions(name, windowMs)));
