import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { startFakeLlm } from "../test/fakes/llm.js";
import { fakeLlmEnv, spawnApp } from "../test/support/worker-process.js";
import { buildOnce } from "./built.js";
import { benchDatabase } from "./database.js";
import { runLoad } from "./load.js";
import type { BenchResult } from "./result.js";

const CHANNELS = 100;
const CONCURRENCY = 32;

/**
 * Answers per second over POST /api/chat (an instant fake LLM, Postgres) with two app processes
 * on one database and Redis, requests alternating between them, against one process alone, in
 * the same run. Two processes can be faster only where a core is free.
 */
export async function benchScale(count = 1_000): Promise<BenchResult[]> {
  const llm = await startFakeLlm();
  llm.mock.addFixture({ match: { predicate: () => true }, response: { content: "Instant answer." } });
  const database = await benchDatabase("postgres", "scale", "");
  const env = {
    ...fakeLlmEnv(llm.url),
    ...database.env,
    REDIS_PREFIX: `qbench-scale-${process.pid}`,
    CONSOLE_TOKEN: `bench-${randomBytes(16).toString("hex")}`,
    WORKERS: "off",
  };
  const headers = { "content-type": "application/json", authorization: `Bearer ${env.CONSOLE_TOKEN}` };
  const apps = [await spawnApp(env, buildOnce())];
  const chat = async (i: number) => {
    const app = apps[i % apps.length]!;
    const response = await fetch(`${app.url}/api/chat`, {
      method: "POST",
      headers,
      body: JSON.stringify({ channel: `scale-${i % CHANNELS}`, user: "bench", text: `Message number ${i} about the quarterly roadmap` }),
    });
    if (response.status !== 200) throw new Error(`chat answered ${response.status}: ${await response.text()}`);
    await response.json();
  };
  try {
    await runLoad(100, 4, chat); // warm-up
    const one = await runLoad(count, CONCURRENCY, chat);
    apps.push(await spawnApp(env, buildOnce()));
    await runLoad(100, 4, chat);
    const two = await runLoad(count, CONCURRENCY, chat);
    const name = "scale (postgres)";
    const load = `load average ${loadavg()[0]!.toFixed(1)}`;
    return [
      { name, metric: `one process c=${CONCURRENCY} msg/s`, value: one.perSecond, unit: "msg/s", note: `p99 ${one.p99.toFixed(1)} ms` },
      { name, metric: `two processes c=${CONCURRENCY} msg/s`, value: two.perSecond, unit: "msg/s", note: `p99 ${two.p99.toFixed(1)} ms` },
      { name, metric: "two processes / one", value: two.perSecond / one.perSecond, unit: "x", note: load },
    ];
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await llm.stop();
    await database.drop();
  }
}
