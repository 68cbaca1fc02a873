import "dotenv/config";
import { missingSettings, secretValues } from "./config.js";
import { startApp } from "./wiring/app.js";
import { createLogger } from "./wiring/log.js";
import { closeOnSignal, configOrExit } from "./wiring/process.js";

const config = configOrExit();
// secretValues holds the console token, set or generated: no log line can carry it.
const log = createLogger(config.logLevel, secretValues(config));
const app = await startApp(config, log);
const where = config.database.kind === "pglite" ? `embedded PGlite in ${config.database.dir}` : "Postgres at DATABASE_URL";
log.info({ url: app.url, database: where }, "Quorum is running");
// The one place the token appears: the operator's terminal, not the JSON log.
console.log(`\nQuorum is running (database: ${where}).\nWeb console: ${app.loginUrl}`);
if (config.console.tokenGenerated) console.log("  (a new token at each start; set CONSOLE_TOKEN to keep one, and restart to rotate it)");
for (const line of missingSettings(config)) console.log(`  missing: ${line}`);
closeOnSignal(log, "finishing replies in flight", () => app.close());
