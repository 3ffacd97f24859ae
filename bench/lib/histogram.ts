/**
 * A log-linear latency histogram in microseconds (HdrHistogram's layout):
 * values below 1024 µs are exact, above that each power of two is split in
 * 512 buckets (0.2 % precision). Fixed memory, O(1) record.
 */
const SUB = 512;
const EXACT = SUB * 2;
const MAX_US = 2 ** 31 - 1;
const BUCKETS = EXACT + 22 * SUB;

function indexOf(us: number): number {
  if (us < EXACT) return us;
  const e = 31 - Math.clz32(us) - 9;
  return EXACT + (e - 1) * SUB + ((us >>> e) - SUB);
}

/** Upper bound of a bucket (values in it are <= this). */
function upperOf(index: number): number {
  if (index < EXACT) return index;
  const e = Math.floor((index - EXACT) / SUB) + 1;
  const mantissa = ((index - EXACT) % SUB) + SUB;
  return ((mantissa + 1) * 2 ** e) - 1;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  max = 0;
  private sum = 0;

  /** Records one latency given in milliseconds. */
  recordMs(ms: number): void {
    let us = Math.round(ms * 1000);
    if (us < 0) us = 0;
    else if (us > MAX_US) us = MAX_US;
    this.counts[indexOf(us)]! += 1;
    this.count++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
    this.sum = 0;
  }

  /** The value at percentile p (0..100), in milliseconds. */
  percentileMs(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperOf(i), this.max) / 1000;
    }
    return this.max / 1000;
  }

  meanMs(): number {
    return this.count === 0 ? NaN : this.sum / this.count / 1000;
  }

  summary(): LatencySummary {
    return {
      samples: this.count,
      p50: round3(this.percentileMs(50)),
      p99: round3(this.percentileMs(99)),
      p999: round3(this.percentileMs(99.9)),
      max: round3(this.max / 1000),
      mean: round3(this.meanMs()),
    };
  }
}

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  samples: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Percentile of a small sample set (sorted copy, nearest rank), for timings. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
