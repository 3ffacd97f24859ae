/** Small statistics over plain arrays: rounding, medians, nearest-rank percentiles. */

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Median of the finite values (NaN and ±Infinity are left out); NaN when none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Median of per-repetition ratios where +Infinity counts (a repetition the
 * measured side failed, e.g. could not keep the rate, ranks as the worst)
 * and NaN does not (a repetition whose reference failed measures nothing).
 */
export function medianOfRatios(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
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
