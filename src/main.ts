import "dotenv/config";
import { missingSettings, secretValues } from "./config.js";
import { startApp } from "./wiring/app.js";
import { createLogger } from "./wiring/log.js";
import { closeOnSignal, configOrExit } from "./wiring/process.js";

const config = configOrExit();
const log = createLogger(config.logLevel, secretValues(config));
const app = await startApp(config, log);
const where = config.database.kind === "pglite" ? `embedded PGlite in ${config.database.dir}` : "Postgres at DATABASE_URL";
log.info({ url: app.url, database: where }, "Quorum is running");
console.log(`\nQuorum is running. Web console: ${app.url}/  (database: ${where})`);
for (const line of missingSettings(config)) console.log(`  missing: ${line}`);
closeOnSignal(log, "finishing replies in flight", () => app.close());
