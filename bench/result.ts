/** One measured number of a benchmark. */
export interface BenchResult {
  name: string;
  metric: string;
  value: number;
  unit: string;
  note?: string;
}

/**
 * The p-th percentile (0..100) of ascending `sorted` by the nearest-rank method: the smallest
 * value with at least p% of the samples at or below it. NaN for no samples.
 */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const clamped = Math.min(100, Math.max(0, p));
  const rank = Math.ceil((clamped / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}
