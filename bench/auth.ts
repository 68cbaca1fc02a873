import { ConsoleAccess } from "../src/adapters/web/access.js";
import type { SessionStore } from "../src/adapters/web/sessions.js";
import { percentile } from "./result.js";

/**
 * Runs the tasks in turn, `count` rounds, so that each sees the same moments of a busy machine;
 * their p50 and p99 latencies in milliseconds. On shared cores this is what makes a difference
 * between two such figures mean something.
 */
export async function interleaved(count: number, tasks: (() => Promise<void>)[]): Promise<{ p50: number; p99: number }[]> {
  const times = tasks.map((): number[] => []);
  for (let i = 0; i < count; i++)
    for (const [k, task] of tasks.entries()) {
      const started = performance.now();
      await task();
      times[k]?.push(performance.now() - started);
    }
  return times.map((list) => {
    list.sort((a, b) => a - b);
    return { p50: percentile(list, 50), p99: percentile(list, 99) };
  });
}

/** The bearer check alone, in this process: microseconds per request, mean and p99 of batches of 1000. */
export async function bearerCheckMicros(token: string): Promise<{ mean: number; p99: number }> {
  // A bearer request never reaches the session store.
  const access = new ConsoleAccess({ token, bindHost: "127.0.0.1", sessions: {} as SessionStore });
  const headers = { host: "127.0.0.1:3000", authorization: `Bearer ${token}` };
  const batches: number[] = [];
  for (let b = 0; b < 200; b++) {
    const started = performance.now();
    for (let i = 0; i < 1000; i++) {
      access.hostAllowed(headers.host);
      if (typeof (await access.authenticate(headers, "127.0.0.1")) !== "object") throw new Error("the bearer check refused the token");
    }
    batches.push(performance.now() - started);
  }
  batches.sort((a, b) => a - b);
  return { mean: batches.reduce((sum, ms) => sum + ms, 0) / batches.length, p99: percentile(batches, 99) };
}
