import { REST, type RESTOptions } from "@discordjs/rest";
import { WebClient } from "@slack/web-api";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { leanFetch } from "../core/lean-fetch.js";
import type { Poster, PosterFor } from "../core/poster.js";
import { DiscordPoster } from "./discord/poster.js";
import { slackLogger } from "./slack/logger.js";
import { SlackPoster } from "./slack/poster.js";
import type { ConsoleEvents } from "./web/events.js";
import { WebPoster } from "./web/poster.js";

/**
 * Posters built from config alone, so a worker in any process can write into every platform's
 * threads; `discordRest` says how Discord's REST requests are sent (the global limit shared across processes).
 */
export function postersFromConfig(
  config: Config,
  log: Logger,
  consoleEvents: ConsoleEvents,
  discordRest?: Pick<RESTOptions, "makeRequest" | "timeout">,
): PosterFor {
  const posters = new Map<string, Poster>([["web", new WebPoster(consoleEvents)]]);
  if (config.slack)
    posters.set(
      "slack",
      new SlackPoster(
        new WebClient(config.slack.botToken, { slackApiUrl: config.slack.apiUrl, logger: slackLogger(log), fetch: leanFetch }),
        log,
      ),
    );
  if (config.discord)
    posters.set("discord", new DiscordPoster(new REST({ api: config.discord.apiUrl, ...discordRest }).setToken(config.discord.token), log));
  return (platform) => posters.get(platform);
}
