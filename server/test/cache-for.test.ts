import { expect, it } from 'vitest';
import { cacheFor } from '../cache-for.js';

it('serves one run to concurrent callers and for the TTL, runs again after it, and keeps no failure', async () => {
  let clock = 0;
  let runs = 0;
  let fail = false;
  const cached = cacheFor(
    1000,
    async () => {
      runs++;
      await Promise.resolve();
      if (fail) throw new Error('render failed');
      return `render ${runs}`;
    },
    () => clock,
  );

  expect(new Set(await Promise.all(Array.from({ length: 16 }, cached)))).toEqual(new Set(['render 1']));
  expect(runs).toBe(1);
  clock = 999;
  expect(await cached()).toBe('render 1');
  clock = 1000;
  expect(await cached()).toBe('render 2');

  fail = true;
  clock = 2000;
  await expect(cached()).rejects.toThrow('render failed');
  fail = false;
  expect(await cached()).toBe('render 4'); // the failure was not kept, even within its TTL
  expect(runs).toBe(4);
});
