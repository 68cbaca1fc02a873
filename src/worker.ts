import "dotenv/config";
import { secretValues } from "./config.js";
import { createLogger } from "./wiring/log.js";
import { listenForMetrics } from "./wiring/metrics-listener.js";
import { closeOnSignal, configOrExit } from "./wiring/process.js";
import { startProjectSystem } from "./wiring/project-system.js";
import { openServices } from "./wiring/services.js";

// Project workers alone, for scale-out: as many of these as wanted, on any machine that reaches
// the same Postgres and Redis. `npm start` runs the same workers in-process unless WORKERS=off.
const config = configOrExit();
if (config.database.kind === "pglite") {
  console.error(
    "npm run worker needs DATABASE_URL: embedded PGlite belongs to the one process that opened it (npm start runs its workers itself).",
  );
  process.exit(1);
}

const log = createLogger(config.logLevel, secretValues(config));
const services = await openServices(config, log);
const projects = startProjectSystem(config, { ...services, db: services.database.db, log }, true);
const { workerMetrics } = config;
const metrics = workerMetrics && (await listenForMetrics({ host: config.host, ...workerMetrics }, services.metrics, log));
log.info({ concurrency: config.projects.concurrency }, "project worker running");
closeOnSignal(log, "finishing the jobs in hand", async () => {
  await metrics?.close();
  await projects.close();
  await services.close();
});
