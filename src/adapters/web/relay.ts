import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { ProjectEvents } from "../../core/poster.js";
import type { ConsoleEvent, ConsoleEvents } from "./events.js";

const channel = (prefix: string) => `${prefix}:console-events`;

/** Console events from any process (a worker elsewhere) to the process whose browsers watch them. */
export class RedisConsoleEvents implements ConsoleEvents {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  publish(event: ConsoleEvent): void {
    this.redis
      .publish(channel(this.prefix), JSON.stringify(event))
      .catch((error: unknown) => this.log.debug({ err: error }, "console event not relayed"));
  }
}

/** Hands relayed events to this process's browsers; `subscriber` becomes a subscriber-only connection. */
export async function relayConsoleEvents(subscriber: Redis, prefix: string, into: ConsoleEvents, log: Logger): Promise<void> {
  subscriber.on("message", (_channel: string, message: string) => {
    try {
      into.publish(JSON.parse(message) as ConsoleEvent);
    } catch (error) {
      log.warn({ err: error }, "ignored a malformed relayed console event");
    }
  });
  await subscriber.subscribe(channel(prefix));
}

/** Project progress as console events, for projects that run in a web console thread. */
export function consoleProjectEvents(events: ConsoleEvents): ProjectEvents {
  return {
    progress: (to, projectId, text) => {
      if (to.platform === "web") events.publish({ type: "project.progress", channel: to.channel, thread: to.thread, projectId, text });
    },
    done: (to, projectId, text) => {
      if (to.platform === "web") events.publish({ type: "project.done", channel: to.channel, thread: to.thread, projectId, text });
    },
  };
}
