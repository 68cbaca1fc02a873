import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeLlm } from "../test/fakes/llm.js";
import { fakeLlmEnv, spawnApp } from "../test/support/worker-process.js";
import { interleaved } from "./auth.js";
import { buildOnce } from "./built.js";
import type { BenchResult } from "./result.js";

/** A bot of the comparison as it runs: where it listens and its console token. */
export interface RunningBot {
  url: string;
  token: string;
}

export interface SideBySide {
  /** The rows' name. */
  name: string;
  /** Settings of the bot "on"; the bot "off" runs without them. */
  on: Record<string, string>;
  /** Started once both bots are warm, stopped after the measured run: what the bot "on" also does meanwhile. */
  during?: (on: RunningBot) => () => Promise<string>;
  count: number;
}

/**
 * POST /api/chat at c=1 to two bots (PGlite, an instant fake model) side by side, "off" and "on",
 * their requests taking turns so that both see the same moments of a busy machine: the
 * difference is what "on" costs a message. `during`'s result ends the p99 row's note.
 */
export async function chatSideBySide({ name, on, during, count }: SideBySide): Promise<BenchResult[]> {
  const llm = await startFakeLlm();
  llm.mock.addFixture({ match: { predicate: () => true }, response: { content: "Instant answer." } });
  const dataDir = mkdtempSync(join(tmpdir(), "quorum-bench-"));
  const start = async (variant: string, extra: Record<string, string>) => {
    const token = `bench-${randomBytes(16).toString("hex")}`;
    const app = await spawnApp(
      {
        ...fakeLlmEnv(llm.url),
        PGLITE_DIR: join(dataDir, variant),
        DATABASE_URL: "",
        REDIS_PREFIX: `qbench-${variant}-${process.pid}`,
        CONSOLE_TOKEN: token,
        ...extra,
      },
      buildOnce(),
    );
    return { app, token, url: app.url };
  };
  const bots = [await start("off", {}), await start("on", on)];
  const chat =
    ({ url, token }: RunningBot) =>
    async () => {
      const response = await fetch(`${url}/api/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ channel: "bench", user: "bench", text: "A message about the quarterly roadmap" }),
      });
      if (response.status !== 200) throw new Error(`chat answered ${response.status}: ${await response.text()}`);
      await response.json();
    };
  try {
    await interleaved(50, bots.map(chat)); // warm-up: JIT, connections
    const stop = during?.(bots[1]!);
    const [off, withIt] = (await interleaved(count, bots.map(chat))) as [{ p50: number; p99: number }, { p50: number; p99: number }];
    const meanwhile = (await stop?.()) ?? "";
    const ratios = `p99 on/off ${(withIt.p99 / off.p99).toFixed(2)}, p50 on/off ${(withIt.p50 / off.p50).toFixed(2)}`;
    return [
      { name, metric: "chat c=1 p50 off", value: off.p50, unit: "ms" },
      { name, metric: "chat c=1 p50 on", value: withIt.p50, unit: "ms" },
      { name, metric: "chat c=1 p99 off", value: off.p99, unit: "ms" },
      { name, metric: "chat c=1 p99 on", value: withIt.p99, unit: "ms", note: meanwhile ? `${ratios}; ${meanwhile}` : ratios },
    ];
  } finally {
    for (const { app } of bots) await app.stop();
    await llm.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
