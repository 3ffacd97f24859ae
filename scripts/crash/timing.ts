/** Small promise helpers for the crash test: every wait is bounded by a deadline. */

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: Error): void;
  readonly settled: boolean;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  let settled = false;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejection nobody awaits yet must not crash the process.
  promise.catch(() => undefined);
  return {
    promise,
    resolve: (value) => {
      settled = true;
      resolve(value);
    },
    reject: (err) => {
      settled = true;
      reject(err);
    },
    get settled() {
      return settled;
    },
  };
}

/** `promise`, or a DeadlineError naming `what` once the epoch-ms `deadline` passes. */
export function within<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) return Promise.reject(new DeadlineError(`deadline passed before ${what}`));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`deadline passed while waiting for ${what}`)), remaining);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Pacing only (retry backoff, the random time before a kill): never used to wait for a result. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** mulberry32: a seeded PRNG, so a run's kill timings can be replayed with --seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
