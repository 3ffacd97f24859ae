/**
 * The failed-authentication limit at a window's end: a point taken in one
 * window is given back only into that window. rate-limiter-flexible starts
 * an ended window anew at the value added, so a late give-back would open
 * the next window at -1, one guess more than the limit. The counters are
 * the real in-memory ones, with a window of one second instead of a minute.
 */
import { expect, it } from 'vitest';
import { AppError } from '../domain/errors.js';
import type { WindowCounters } from '../domain/ports.js';
import { createAuthFailureLimiter } from '../ip-limits.js';
import { memoryCounters } from '../limits/flexible.js';

it('gives no point back into the next window: after a success that outlived its window, the limit holds in the next', async () => {
  const seen = memoryCounters('auth_failure', 1000);
  const counters: WindowCounters = () => seen;
  const limiter = createAuthFailureLimiter(2, counters);
  const ip = '192.0.2.1';
  // A valid authentication that runs until its window has ended (the counter forgets the key then).
  await limiter.guard(ip, async () => {
    expect(await seen.get(ip)).toMatchObject({ points: 1 });
    await expect.poll(() => seen.get(ip), { timeout: 5000, interval: 50 }).toBeNull();
  });
  const unauthorized = () => Promise.reject(new AppError('unauthorized', 'wrong token'));
  const outcomes: string[] = [];
  for (let i = 0; i < 4; i++) {
    outcomes.push(await limiter.guard(ip, unauthorized).then(() => 'ok', (err: AppError) => err.code));
  }
  expect(outcomes).toEqual(['unauthorized', 'unauthorized', 'too_many_auth_failures', 'too_many_auth_failures']);
});
