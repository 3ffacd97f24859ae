import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, backoffDelay } from '../src/backoff.js';

const ceiling = (attempt: number, { minMs, maxMs } = DEFAULT_BACKOFF) => Math.min(maxMs, minMs * 2 ** attempt);

describe('backoffDelay: exponential backoff with full jitter', () => {
  it('spans [0, min(cap, base * 2^attempt)) exactly at the ends of random()', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      expect(backoffDelay(attempt, DEFAULT_BACKOFF, () => 0)).toBe(0);
      const top = backoffDelay(attempt, DEFAULT_BACKOFF, () => 0.999_999_9);
      expect(top).toBe(Math.floor(0.999_999_9 * ceiling(Math.min(attempt, 30))));
      expect(top).toBeLessThan(ceiling(Math.min(attempt, 30)));
    }
    // The documented defaults: 500 ms base, 30 s cap (reached at attempt 6).
    expect(backoffDelay(0, undefined, () => 0.5)).toBe(250);
    expect(backoffDelay(5, undefined, () => 0.5)).toBe(8000);
    expect(backoffDelay(6, undefined, () => 0.5)).toBe(15_000);
    expect(backoffDelay(1000, undefined, () => 0.5)).toBe(15_000);
  });

  it('draws from the whole window with Math.random, not only its upper half (equal jitter) or its top (none)', () => {
    const options = { minMs: 100, maxMs: 5000 };
    for (const attempt of [0, 3, 10]) {
      const window = ceiling(attempt, options);
      const delays = Array.from({ length: 2000 }, () => backoffDelay(attempt, options));
      for (const delay of delays) {
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(window);
      }
      // With 2000 uniform draws, missing either tenth of the window has a probability under 1e-90.
      expect(Math.min(...delays)).toBeLessThan(window * 0.1);
      expect(Math.max(...delays)).toBeGreaterThan(window * 0.9);
    }
  });

  it('grows the window by doubling up to the cap', () => {
    const options = { minMs: 250, maxMs: 4000 };
    const windows = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, options, () => 0.999_999_9) + 1);
    expect(windows).toEqual([250, 500, 1000, 2000, 4000, 4000, 4000]);
  });
});
