/**
 * Reuses what `produce` resolved for `ttlMs` milliseconds, and lets callers
 * that arrive while it runs share that one run: N concurrent callers cost one
 * call. A rejection is not kept (the next caller tries again).
 */
export function cacheFor<T>(ttlMs: number, produce: () => Promise<T>, now: () => number = performance.now.bind(performance)): () => Promise<T> {
  let cached: Promise<T> | undefined;
  let startedAt = 0;
  return () => {
    if (cached && now() - startedAt < ttlMs) return cached;
    startedAt = now();
    const current = produce();
    cached = current;
    current.catch(() => {
      if (cached === current) cached = undefined;
    });
    return current;
  };
}
