import "dotenv/config";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./log.js";
import { startProjectSystem } from "./project-system.js";
import { openServices } from "./services.js";

// Project workers alone, for scale-out: as many of these as wanted, on any machine that reaches
// the same Postgres and Redis. `npm start` runs the same workers in-process unless WORKERS=off.
let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
if (config.database.kind === "pglite") {
  console.error("npm run worker needs DATABASE_URL: embedded PGlite belongs to the one process that opened it (npm start runs its workers itself).");
  process.exit(1);
}

const log = createLogger(config.logLevel);
const services = await openServices(config, log);
const projects = startProjectSystem(config, { ...services, db: services.database.db, log }, true);
log.info({ concurrency: config.projects.concurrency }, "project worker running");

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "worker shutting down: finishing the jobs in hand");
    projects
      .close()
      .then(() => services.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, "worker shutdown failed");
          process.exit(1);
        },
      );
  });
}
