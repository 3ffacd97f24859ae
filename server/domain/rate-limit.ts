/**
 * Token buckets. Hand-written on purpose: one check per WebSocket message on
 * the hot path must be a couple of arithmetic operations, with no promise or
 * allocation, which the rate-limit libraries (async, store-backed) do not give.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  /** `ratePerSecond` tokens come back each second, up to `capacity`. */
  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    now: number = performance.now(),
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** Takes a token if there is one. */
  take(now: number = performance.now()): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is available (0 when one is). */
  waitMs(now: number = performance.now()): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
  }

  /** True when the bucket is full again, i.e. it remembers nothing. */
  isFull(now: number = performance.now()): boolean {
    this.refill(now);
    return this.tokens >= this.capacity;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond);
    this.updatedAt = now;
  }
}

/**
 * One bucket per key (client IP). The map is bounded: when it is full, the
 * buckets that have refilled completely are forgotten first, since they
 * carry no state.
 */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** 0 when the request may go ahead, else the milliseconds to wait. */
  take(key: string, now: number = performance.now()): number {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      bucket = new TokenBucket(this.ratePerSecond, this.capacity, now);
      this.buckets.set(key, bucket);
    }
    return bucket.take(now) ? 0 : bucket.waitMs(now);
  }

  private evict(now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(key);
    // Still full of active keys: drop the oldest half rather than grow without bound.
    if (this.buckets.size >= this.maxKeys) {
      let excess = Math.ceil(this.buckets.size / 2);
      for (const key of this.buckets.keys()) {
        if (excess-- <= 0) break;
        this.buckets.delete(key);
      }
    }
  }
}
