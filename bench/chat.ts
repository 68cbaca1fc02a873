import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLlmClient } from "../src/agents/llm/index.js";
import { loadConfig } from "../src/config.js";
import type { Database } from "../src/db/client.js";
import { startFakeLlm } from "../test/fakes/llm.js";
import { fakeLlmEnv, spawnApp } from "../test/support/worker-process.js";
import { bearerCheckMicros, interleaved } from "./auth.js";
import { buildOnce } from "./built.js";
import { benchDatabase } from "./database.js";
import { runLoad } from "./load.js";
import type { BenchResult } from "./result.js";

const CHANNELS = 100;

type Percentiles = { p50: number; p99: number };

/**
 * POST /api/chat against an instant fake LLM, beside a bare round trip to the same server and to
 * the LLM. The bare round trip carries no credentials (the edge answers 401), so chat's "added"
 * figures include the cost of authentication, which the "auth" rows show alone: the same request
 * with the operator's bearer token, and with a browser's session cookie (a database lookup). The bot runs as `npm start` does, in its own process: the load and the fake LLM here
 * neither share its event loop nor its garbage collector, as they would not in a deployment.
 */
export async function benchChat(engine: Database["engine"], counts = { serial: 1_000, concurrent: 1_000 }): Promise<BenchResult[]> {
  const llm = await startFakeLlm();
  llm.mock.addFixture({ match: { predicate: () => true }, response: { content: "Instant answer." } });
  const dataDir = mkdtempSync(join(tmpdir(), "quorum-bench-"));
  const database = await benchDatabase(engine, "chat", dataDir);
  const env = {
    ...fakeLlmEnv(llm.url),
    ...database.env,
    REDIS_PREFIX: `qbench-chat-${process.pid}`,
    CONSOLE_TOKEN: `bench-${randomBytes(16).toString("hex")}`,
  };
  const bearer = { authorization: `Bearer ${env.CONSOLE_TOKEN}` };
  const app = await spawnApp(env, buildOnce());
  const client = createLlmClient(loadConfig(env).llm);
  const chat = async (i: number) => {
    const response = await fetch(`${app.url}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer },
      body: JSON.stringify({ channel: `bench-${i % CHANNELS}`, user: "bench", text: `Message number ${i} about the quarterly roadmap` }),
    });
    if (response.status !== 200) throw new Error(`chat answered ${response.status}: ${await response.text()}`);
    await response.json();
    // The bot's own report of its wait on the model (Server-Timing), left out of "added".
    const llm = /llm;dur=([\d.]+)/.exec(response.headers.get("server-timing") ?? "");
    if (!llm) throw new Error("chat answered without a Server-Timing llm entry");
    return Number(llm[1]);
  };
  const ping = (headers: Record<string, string>, expected: number) => async () => {
    const response = await fetch(`${app.url}/api/ping`, { headers });
    await response.text();
    if (response.status !== expected) throw new Error(`ping answered ${response.status}, not ${expected}`);
  };
  const login = await fetch(app.loginUrl, { redirect: "manual" });
  const cookie = { cookie: (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "" };
  const llmCall = async () => void (await client.complete({ messages: [{ role: "user", content: "hi" }] }));

  try {
    await runLoad(50, 4, chat); // warm-up: JIT, connections, first channels
    const results: BenchResult[] = [];
    const name = `chat (${engine})`;
    const [bare, withBearer, withSession] = (await interleaved(counts.serial, [ping({}, 401), ping(bearer, 200), ping(cookie, 200)])) as [
      Percentiles,
      Percentiles,
      Percentiles,
    ];
    const check = await bearerCheckMicros(env.CONSOLE_TOKEN);
    const direct = await runLoad(counts.serial, 1, llmCall);
    const serial = await runLoad(counts.serial, 1, chat);
    const concurrent = await runLoad(counts.concurrent, 32, chat);
    results.push(
      { name, metric: "bare HTTP round trip p50", value: bare.p50, unit: "ms" },
      { name, metric: "bare HTTP round trip p99", value: bare.p99, unit: "ms", note: "without credentials: answered 401" },
      {
        name,
        metric: "auth bearer c=1 p99 added",
        value: withBearer.p99 - bare.p99,
        unit: "ms",
        note: `the same round trip with the bearer token; p50 added ${(withBearer.p50 - bare.p50).toFixed(3)} ms; goal < 1 ms`,
      },
      {
        name,
        metric: "auth bearer check in process",
        value: check.mean,
        unit: "µs",
        note: `Host and bearer checks alone, per request; p99 of batches ${check.p99.toFixed(2)} µs`,
      },
      {
        name,
        metric: "auth session c=1 p99 added",
        value: withSession.p99 - bare.p99,
        unit: "ms",
        note: `with a session cookie (one database lookup); p50 added ${(withSession.p50 - bare.p50).toFixed(3)} ms`,
      },
      { name, metric: "direct fake-LLM call p50", value: direct.p50, unit: "ms" },
      { name, metric: "direct fake-LLM call p99", value: direct.p99, unit: "ms" },
      { name, metric: "c=1 msg/s", value: serial.perSecond, unit: "msg/s" },
      { name, metric: "c=1 p50", value: serial.p50, unit: "ms" },
      { name, metric: "c=1 p99", value: serial.p99, unit: "ms" },
      {
        name,
        metric: "c=1 p50 added latency",
        value: serial.ownP50 - bare.p50,
        unit: "ms",
        note: "per message: latency less its model wait, less the median bare round trip",
      },
      { name, metric: "c=1 p99 added latency", value: serial.ownP99 - bare.p50, unit: "ms", note: "the same at p99; goal < 15 ms" },
      {
        name,
        metric: "c=1 p99 − medians",
        value: serial.p99 - bare.p50 - direct.p50,
        unit: "ms",
        note: "chat p99 less the median bare round trip and median direct LLM call (counts the model's own tail as ours)",
      },
      { name, metric: "c=32 msg/s", value: concurrent.perSecond, unit: "msg/s", note: `${CHANNELS} channels` },
      { name, metric: "c=32 p50", value: concurrent.p50, unit: "ms" },
      { name, metric: "c=32 p99", value: concurrent.p99, unit: "ms" },
    );
    return results;
  } finally {
    await app.stop();
    await llm.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await database.drop();
  }
}
