import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/support/ports.js";
import { buildOnce } from "./built.js";
import { type BenchResult, percentile } from "./result.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Milliseconds from spawning `args` until `GET /api/health` answers 200; the process is then stopped. */
async function timeToHealthy(args: string[], env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env, PORT: String(port) }, stdio: "ignore" });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${args.join(" ")} exited (${child.exitCode}) before it was healthy`);
      const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  }
}

/**
 * Start to healthy: the built bot (`node dist/main.js`, PGlite already initialised, as on every
 * start but the first) against a bare Node HTTP server started the same way.
 */
export async function benchStart(runs = 5): Promise<BenchResult[]> {
  buildOnce();
  const scratch = mkdtempSync(join(tmpdir(), "quorum-bench-start-"));
  const env = { PGLITE_DIR: join(scratch, "pglite"), CONSOLE_TOKEN: "bench-start-token-0123456789", LOG_LEVEL: "silent" };
  const bare = ["-e", "require('node:http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, '127.0.0.1')"];
  try {
    // The first start initialises the PGlite cluster; it is not what a restart costs.
    await timeToHealthy(["dist/main.js"], env);
    const bot: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < runs; i++) {
      bot.push(await timeToHealthy(["dist/main.js"], env));
      baseline.push(await timeToHealthy(bare, {}));
    }
    bot.sort((a, b) => a - b);
    baseline.sort((a, b) => a - b);
    const note = `${runs} starts; bare node server p50 ${percentile(baseline, 50).toFixed(0)} ms`;
    return [
      { name: "start (built)", metric: "to healthy p50", value: percentile(bot, 50), unit: "ms", note },
      { name: "start (built)", metric: "to healthy max", value: bot.at(-1)!, unit: "ms", note },
    ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
