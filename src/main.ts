import "dotenv/config";
import { startApp } from "./app.js";
import { ConfigError, loadConfig, missingSettings } from "./config.js";
import { createLogger } from "./log.js";

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const log = createLogger(config.logLevel);
const app = await startApp(config, log);
const where = config.database.kind === "pglite" ? `embedded PGlite in ${config.database.dir}` : "Postgres at DATABASE_URL";
log.info({ url: app.url, database: where }, "Quorum is running");
console.log(`\nQuorum is running. Web console: ${app.url}/  (database: ${where})`);
for (const line of missingSettings(config)) console.log(`  missing: ${line}`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: finishing replies in flight");
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
