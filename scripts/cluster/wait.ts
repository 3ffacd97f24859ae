import { DeadlineError, delay } from '../crash/timing.js';

/**
 * Resolves once `condition()` holds, looking every 10 ms; rejects with a
 * DeadlineError naming `what` once the epoch-ms `deadline` passes. For state
 * that has no event of its own (a client's cursor, a metric).
 */
export async function waitUntil(condition: () => boolean | Promise<boolean>, deadline: number, what: string): Promise<void> {
  while (!(await condition())) {
    if (Date.now() >= deadline) throw new DeadlineError(`deadline passed while waiting for ${what}`);
    await delay(10);
  }
}
