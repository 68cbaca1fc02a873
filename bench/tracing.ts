import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeLlm } from "../test/fakes/llm.js";
import { startOtlpReceiver } from "../test/fakes/otlp-receiver.js";
import { fakeLlmEnv, spawnApp } from "../test/support/worker-process.js";
import { interleaved } from "./auth.js";
import type { BenchResult } from "./result.js";

/**
 * POST /api/chat at c=1 to two bots side by side, one untraced and one exporting its spans to a
 * loopback OTLP receiver, their requests taking turns so that both see the same moments of a busy
 * machine. The difference is what tracing costs a message (its spans, their export in batches).
 */
export async function benchTracing(count = 1_000): Promise<BenchResult[]> {
  const llm = await startFakeLlm();
  llm.mock.addFixture({ match: { predicate: () => true }, response: { content: "Instant answer." } });
  const receiver = await startOtlpReceiver();
  const dataDir = mkdtempSync(join(tmpdir(), "quorum-bench-"));
  const start = (name: string, extra: Record<string, string>) => {
    const token = `bench-${randomBytes(16).toString("hex")}`;
    return spawnApp({
      ...fakeLlmEnv(llm.url),
      PGLITE_DIR: join(dataDir, name),
      DATABASE_URL: "",
      REDIS_PREFIX: `qbench-${name}-${process.pid}`,
      CONSOLE_TOKEN: token,
      ...extra,
    }).then((app) => ({ app, token }));
  };
  const apps = [await start("untraced", {}), await start("traced", { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })];
  const chat =
    ({ app, token }: (typeof apps)[number]) =>
    async () => {
      const response = await fetch(`${app.url}/api/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ channel: "bench", user: "bench", text: "A message about the quarterly roadmap" }),
      });
      if (response.status !== 200) throw new Error(`chat answered ${response.status}: ${await response.text()}`);
      await response.json();
    };
  try {
    await interleaved(50, apps.map(chat)); // warm-up: JIT, connections
    const [off, on] = (await interleaved(count, apps.map(chat))) as [{ p50: number; p99: number }, { p50: number; p99: number }];
    const name = "tracing (pglite)";
    return [
      { name, metric: "chat c=1 p50 off", value: off.p50, unit: "ms" },
      { name, metric: "chat c=1 p50 on", value: on.p50, unit: "ms" },
      { name, metric: "chat c=1 p99 off", value: off.p99, unit: "ms" },
      {
        name,
        metric: "chat c=1 p99 on",
        value: on.p99,
        unit: "ms",
        note: `p99 on/off ${(on.p99 / off.p99).toFixed(2)}, p50 on/off ${(on.p50 / off.p50).toFixed(2)}; ${receiver.spans.length} spans received`,
      },
    ];
  } finally {
    for (const { app } of apps) await app.stop();
    await receiver.stop();
    await llm.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
