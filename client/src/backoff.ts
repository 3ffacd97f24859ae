/**
 * Reconnect and resend delays: exponential backoff with full jitter, from
 * AWS's "Exponential Backoff and Jitter" (Marc Brooker, 2015):
 * `delay = random(0, min(cap, base * 2^attempt))`. Full jitter spreads the
 * clients a restart cut off together over the whole window, so they do not
 * all come back in the same instant; of the schemes compared there it did the
 * least work for the server.
 */
export interface BackoffOptions {
  /** The base: the window of the first retry (attempt 0), in milliseconds. Default 500. */
  minMs: number;
  /** The cap: the largest window, in milliseconds. Default 30,000. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ minMs: 500, maxMs: 30_000 });

/**
 * The delay before retry number `attempt` (0 for the first), in whole
 * milliseconds: uniform in `[0, min(maxMs, minMs * 2^attempt))`.
 * `random` returns a number in [0, 1), as Math.random does.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  // 2^30 times any sane base is past any cap; the clamp keeps the product finite.
  const window = Math.min(options.maxMs, options.minMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.floor(random() * window);
}
