import type { Logger } from "pino";
import { type Config, ConfigError, loadConfig } from "../config.js";

/** The settings, or the process ends with what is wrong with them. */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

/** On SIGINT or SIGTERM (once), runs `close` and exits: 0 when it finished, 1 when it failed. */
export function closeOnSignal(log: Logger, what: string, close: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, `shutting down: ${what}`);
      close().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
    });
  }
}
