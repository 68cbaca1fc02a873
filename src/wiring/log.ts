import { type DestinationStream, type Logger, pino } from "pino";
import { secretScrubber } from "../core/redact.js";

export type { Logger };

// Fields of database errors that hold a statement's bound values (postgres.js, drizzle).
const VALUE_FIELDS = ["parameters", "params", "args"];
// drizzle puts the values in the message too: "Failed query: …\nparams: …".
const PARAMS_LINE = /\nparams: [^\n]*/g;

/**
 * Structured JSON logs. Every line is scrubbed: the configured secrets wherever they appear, and
 * anything shaped like a credential (see core/redact). Below debug, errors lose the values bound
 * to their SQL statements, which can hold people's messages.
 */
export function createLogger(level: string, secrets: readonly (string | undefined)[] = [], destination?: DestinationStream): Logger {
  const scrub = secretScrubber(secrets);
  const verbose = level === "debug" || level === "trace";
  const options = {
    level,
    base: { app: "quorum" },
    serializers: { err: verbose ? pino.stdSerializers.err : withoutBoundValues },
    hooks: { streamWrite: scrub },
  };
  return destination ? pino(options, destination) : pino(options);
}

function withoutBoundValues(error: Error): Record<string, unknown> {
  return hideValues(pino.stdSerializers.err(error)) as Record<string, unknown>;
}

function hideValues(value: unknown): unknown {
  if (typeof value === "string") return value.replace(PARAMS_LINE, "\nparams: [hidden]");
  if (Array.isArray(value)) return value.map(hideValues);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !VALUE_FIELDS.includes(key))
      .map(([key, inner]) => [key, hideValues(inner)]),
  );
}
