/**
 * Types for the files of rate-limiter-flexible that server/limits/ loads
 * directly: its index requires every store (Redis, Mongo, PostgreSQL,
 * DynamoDB, ...), which took 100 to 270 ms at start (measured), against
 * 12 to 17 ms for the memory store. The package types only its index.
 */
declare module 'rate-limiter-flexible/lib/RateLimiterMemory.js' {
  import type { RateLimiterMemory } from 'rate-limiter-flexible';
  const RateLimiterMemoryClass: typeof RateLimiterMemory;
  export default RateLimiterMemoryClass;
}

declare module 'rate-limiter-flexible/lib/RateLimiterPostgres.js' {
  import type { RateLimiterPostgres } from 'rate-limiter-flexible';
  const RateLimiterPostgresClass: typeof RateLimiterPostgres;
  export default RateLimiterPostgresClass;
}

declare module 'rate-limiter-flexible/lib/RateLimiterRedis.js' {
  import type { RateLimiterRedis } from 'rate-limiter-flexible';
  const RateLimiterRedisClass: typeof RateLimiterRedis;
  export default RateLimiterRedisClass;
}

declare module 'rate-limiter-flexible/lib/RateLimiterRes.js' {
  import type { RateLimiterRes } from 'rate-limiter-flexible';
  const RateLimiterResClass: typeof RateLimiterRes;
  export default RateLimiterResClass;
}
