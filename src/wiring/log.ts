import { type Logger, pino } from "pino";

export type { Logger };

/** Structured JSON logs; anything that looks like a credential is redacted wherever it appears. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { app: "quorum" },
    redact: {
      paths: [
        "*.apiKey",
        "*.token",
        "*.botToken",
        "*.appToken",
        "*.signingSecret",
        "*.authorization",
        "*.headers.authorization",
        "config.llm.apiKey",
      ],
      censor: "[redacted]",
    },
  });
}
