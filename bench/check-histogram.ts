/** One-off: the same samples in the old histogram and in perf_hooks' createHistogram. */
import { Histogram } from './lib/histogram.js';
import { LatencyRecorder } from './lib/latency.js';

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const r = rng(42);
const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const sets: Record<string, number[]> = {
  'lognormal 1 ms, 1% tail to 200 ms (n=100k)': Array.from({ length: 100_000 }, () => (r() < 0.01 ? 10 + r() * 190 : Math.exp(normal() * 0.8))),
  'uniform 20 us..5 ms (n=50k)': Array.from({ length: 50_000 }, () => 0.02 + r() * 4.98),
  'loopback echo-like 0.05..0.6 ms (n=5k)': Array.from({ length: 5000 }, () => 0.05 + Math.abs(normal()) * 0.15),
};
const exact = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
let worst = 0;
for (const [name, ms] of Object.entries(sets)) {
  const old = new Histogram();
  const now = new LatencyRecorder();
  for (const v of ms) {
    old.recordMs(v);
    now.recordMs(v);
  }
  const sorted = [...ms].sort((a, b) => a - b);
  console.log(`\n${name}`);
  console.log('pct      exact ms     old ms    perf_hooks ms   new/old   new/exact');
  for (const p of [50, 90, 99, 99.9, 100]) {
    const e = exact(sorted, p);
    const o = p === 100 ? old.max / 1000 : old.percentileMs(p);
    const n = now.percentileMs(p);
    worst = Math.max(worst, Math.abs(n / o - 1));
    console.log(`${String(p).padEnd(6)} ${e.toFixed(4).padStart(10)} ${o.toFixed(4).padStart(10)} ${n.toFixed(4).padStart(14)} ${(n / o).toFixed(5).padStart(9)} ${(n / e).toFixed(5).padStart(10)}`);
  }
  console.log(`mean   ${(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(4).padStart(10)} ${old.meanMs().toFixed(4).padStart(10)} ${now.summary().mean.toFixed(4).padStart(14)}`);
}
console.log(`\nlargest |new/old - 1| over the percentiles: ${(worst * 100).toFixed(3)} %`);

// Cost of one record, each way, 2M calls after a warm-up.
const values = Array.from({ length: 1 << 16 }, () => 0.05 + r() * 5);
for (const [name, make] of [['old Histogram', () => new Histogram()], ['perf_hooks', () => new LatencyRecorder()]] as const) {
  const h = make();
  for (let i = 0; i < 200_000; i++) h.recordMs(values[i & 0xffff]!);
  const t0 = performance.now();
  for (let i = 0; i < 2_000_000; i++) h.recordMs(values[i & 0xffff]!);
  console.log(`${name}: ${(((performance.now() - t0) * 1e6) / 2_000_000).toFixed(1)} ns per record`);
}
