import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "../src/db/client.js";
import { fakeLlmEnv, spawnApp } from "../test/support/worker-process.js";
import { buildOnce } from "./built.js";
import { benchDatabase } from "./database.js";
import { startBenchModel } from "./model.js";

/**
 * The bot in its own process, built, as `npm start` runs it, for a platform's bench `name`: on
 * `platformEnv` (the fake platform's settings), the bench model and a database of `engine`.
 * `stop` ends the process and drops the model and the database.
 */
export async function startBenchBot<Env extends { [K in keyof Env]: string }>(name: string, engine: Database["engine"], platformEnv: Env) {
  const model = await startBenchModel();
  const dataDir = mkdtempSync(join(tmpdir(), "quorum-bench-"));
  const database = await benchDatabase(engine, name, dataDir);
  const app = await spawnApp(
    {
      ...platformEnv,
      ...fakeLlmEnv(model.url),
      ...database.env,
      REDIS_PREFIX: `qbench-${name}-${process.pid}`,
      CONSOLE_TOKEN: `bench-${randomBytes(16).toString("hex")}`,
      WEB_CONSOLE: "on",
    },
    buildOnce(),
  );
  return {
    app,
    model,
    database,
    async stop() {
      await app.stop();
      await model.stop();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
