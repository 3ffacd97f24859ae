/**
 * A token bucket: the per-connection WebSocket message limit (WS_RATE_LIMIT).
 * Hand-written on purpose: it is asked once per message on the hot path, so a
 * check must be a couple of arithmetic operations with no promise, no
 * allocation and no key lookup, which rate-limiter-flexible (promise-based,
 * store-backed, keyed) does not give. Per-IP limits, which are rare and may
 * need a shared store, use that library (see ../ip-limits.ts).
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

  /**
   * Spends `amount` tokens whether or not they are there (what was already
   * received cannot be refused): returns the ms until the bucket is out of
   * debt, 0 when it is not in debt. For byte rates, where the caller waits
   * that long before reading more.
   */
  spend(amount: number, now: number = performance.now()): number {
    this.refill(now);
    this.tokens -= amount;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond);
    this.updatedAt = now;
  }
}
