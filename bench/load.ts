import { percentile } from "./result.js";

export interface LoadStats {
  count: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Latency less the part each task said was not ours (the model's, for chat). */
  ownP50: number;
  ownP99: number;
}

/**
 * Runs `task` `count` times with `concurrency` in flight; latencies in milliseconds. A task may
 * return the milliseconds of its latency spent elsewhere, to be left out of the "own" figures.
 */
export async function runLoad(count: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<LoadStats> {
  const latencies: number[] = [];
  const own: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      const result = await task(i);
      const elsewhere = typeof result === "number" ? result : 0;
      const latency = performance.now() - t0;
      latencies.push(latency);
      own.push(latency - elsewhere);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1_000;
  latencies.sort((a, b) => a - b);
  own.sort((a, b) => a - b);
  return {
    count,
    seconds,
    perSecond: count / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ownP50: percentile(own, 50),
    ownP99: percentile(own, 99),
  };
}
