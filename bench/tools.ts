/**
 * Executor overhead per tool call: argument parsing and validation, policy checks, the timeout
 * and the audit row, for a tool that does nothing, beside calling the same function directly.
 * Measured on PGlite (in memory) and on the local Postgres (TEST_DATABASE_URL, as the tests).
 *
 *   npx tsx bench/tools.ts [--calls 5000]
 */
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ConversationStore } from "../src/agents/conversation/conversation-store.js";
import { Background } from "../src/core/background.js";
import type { Database } from "../src/db/client.js";
import { defineTool } from "../src/tools/define.js";
import { ToolExecutor } from "../src/tools/executor.js";
import { MemoryRateLimiter } from "../src/tools/rate-limiter.js";
import { createLogger } from "../src/wiring/log.js";
import { scratchPglite, scratchPostgres } from "../test/support/databases.js";
import { type BenchResult, percentile } from "./result.js";

const GOAL_P99_MS = 1;
const WARMUP = 200;

const noop = (args: { text: string; count?: number }) => args;
const noopTool = defineTool({
  name: "noop",
  description: "Does nothing.",
  category: "bench",
  risk: "read",
  input: z.object({ text: z.string().min(1), count: z.number().int().optional() }),
  // A per-minute limit no call reaches, so the policy path runs too.
  policy: { perMinute: Number.MAX_SAFE_INTEGER, forbiddenArguments: ["secret"] },
  run: noop,
});
const ARGUMENTS = JSON.stringify({ text: "hello", count: 3 });

async function measure(calls: number, once: (i: number) => Promise<unknown> | unknown): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await once(i);
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await once(i);
    samples.push(performance.now() - started);
    // Let background work (the batched audit inserts) run between calls, as it would in the app.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return samples.sort((a, b) => a - b);
}

function report(name: string, samples: number[], goal?: number): BenchResult[] {
  const p99 = percentile(samples, 99);
  return [
    { name, metric: "p50", value: percentile(samples, 50), unit: "ms" },
    {
      name,
      metric: "p99",
      value: p99,
      unit: "ms",
      note: goal === undefined ? undefined : `goal < ${goal} ms: ${p99 < goal ? "met" : "missed"}`,
    },
  ];
}

async function onEngine(label: string, open: () => Promise<Database>, calls: number): Promise<BenchResult[]> {
  const database = await open();
  try {
    const channel = await new ConversationStore(database.db).ensureChannel("web", "bench", "bench");
    const context = { channelId: channel.id, author: { id: "bench" } };
    const results: BenchResult[] = [];
    // As the app runs it: audit rows batched in the background. Then each call awaiting its row.
    for (const [mode, background] of [
      ["background-audit", new Background(createLogger("silent"))],
      ["awaited-audit", undefined],
    ] as const) {
      const executor = new ToolExecutor(database.db, { limiter: new MemoryRateLimiter(), background });
      const samples = await measure(calls, (i) =>
        executor.execute(noopTool, { id: `${mode}${i}`, name: "noop", arguments: ARGUMENTS }, context),
      );
      await executor.flushAudit();
      results.push(...report(`tools-executor-${label}-${mode}`, samples, background ? GOAL_P99_MS : undefined));
    }
    return results;
  } finally {
    await database.close();
  }
}

export async function benchTools(calls = 5_000): Promise<BenchResult[]> {
  const direct = await measure(calls, () => noop(JSON.parse(ARGUMENTS) as { text: string }));
  return [
    ...report("tools-direct-call", direct),
    ...(await onEngine("pglite", scratchPglite, calls)),
    ...(await onEngine("postgres", scratchPostgres, calls)),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--calls");
  const results = await benchTools(at > 0 ? Number(process.argv[at + 1]) : undefined);
  for (const r of results) console.log(`${r.name.padEnd(44)} ${r.metric.padEnd(4)} ${r.value.toFixed(3)} ${r.unit} ${r.note ?? ""}`);
  process.exit(0);
}
