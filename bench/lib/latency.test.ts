/**
 * The bench's latency recorder (perf_hooks' HDR histogram) against the exact
 * nearest-rank percentiles of the same samples. Values, not timings: no
 * clock is read here.
 */
import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from './latency.js';

/** Deterministic samples in ms (mulberry32): a body near 1 ms and a 1 % tail to 200 ms. */
function samples(n: number, seed: number): number[] {
  let s = seed;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => (next() < 0.01 ? 10 + next() * 190 : 0.02 + next() * next() * 3));
}

const exact = (sorted: readonly number[], p: number) => sorted[Math.ceil((p / 100) * sorted.length) - 1]!;

describe('LatencyRecorder', () => {
  it('reports every percentile within 0.1 % of the exact sample at that rank', () => {
    // n = 10,000: every rank asked for is a whole number, so HDR's rounding and nearest rank agree.
    const ms = samples(10_000, 7);
    const recorder = new LatencyRecorder();
    for (const v of ms) recorder.recordMs(v);
    const sorted = [...ms].sort((a, b) => a - b);
    for (const p of [50, 90, 99, 99.9, 100]) {
      const want = exact(sorted, p);
      expect(Math.abs(recorder.percentileMs(p) / want - 1), `p${p}: ${recorder.percentileMs(p)} vs ${want}`).toBeLessThanOrEqual(0.001);
    }
    const summary = recorder.summary();
    expect(summary.samples).toBe(10_000);
    expect(Math.abs(summary.max / sorted.at(-1)! - 1)).toBeLessThanOrEqual(0.001);
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
    expect(Math.abs(summary.mean / mean - 1)).toBeLessThanOrEqual(0.001);
  });

  it('keeps sub-microsecond and zero latencies (clamped to 1 ns) and starts over on reset', () => {
    const recorder = new LatencyRecorder();
    recorder.recordMs(0);
    recorder.recordMs(0.0004);
    expect(recorder.count).toBe(2);
    expect(recorder.percentileMs(100)).toBeCloseTo(0.0004, 6);
    recorder.reset();
    expect(recorder.count).toBe(0);
    expect(recorder.summary()).toMatchObject({ samples: 0, p50: NaN, p99: NaN, max: NaN });
  });
});
