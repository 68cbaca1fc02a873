import { LogLevel, type Logger as SlackLogger } from "@slack/logger";
import type { Logger } from "pino";

/** Bolt and the Web API client log through the bot's own structured logger. */
export function slackLogger(log: Logger): SlackLogger {
  const child = log.child({ component: "slack" });
  let level = LogLevel.INFO;
  const text = (parts: unknown[]) => parts.map((part) => (typeof part === "string" ? part : JSON.stringify(part))).join(" ");
  return {
    debug: (...parts) => child.debug(text(parts)),
    info: (...parts) => child.info(text(parts)),
    warn: (...parts) => child.warn(text(parts)),
    error: (...parts) => child.error(text(parts)),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
