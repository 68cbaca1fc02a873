import { Redis } from "ioredis";
import { UnavailableError } from "../core/unavailable.js";

/** Redis, needed on a request's path, is down or does not answer; the message says so and what follows. */
export class RedisUnavailableError extends UnavailableError {
  override name = "RedisUnavailableError";

  /** `where` is Redis's URL without its password; `outcome` what this means for the request. */
  constructor(where: string, outcome: string) {
    super(`Redis at ${where} did not answer; background projects need it (start redis-server, or set REDIS_URL). ${outcome}`);
  }
}

export interface RedisConnection {
  /** Redis's URL, password hidden: for messages. */
  where: string;
  /** Fails fast while Redis is away instead of queueing commands. */
  client: Redis;
  /** "ok", or why Redis cannot be used. */
  status(): Promise<string>;
  close(): Promise<void>;
}

/** A quiet shared connection that keeps reconnecting in the background and says whether Redis is there. */
export function connectRedis(url: string): RedisConnection {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    // A Redis that accepts connections but does not answer (stopped, overloaded) fails a command
    // after this, instead of holding a request (or a turn's rate limit) forever.
    commandTimeout: 2_000,
    retryStrategy: () => 2_000,
  });
  redis.on("error", () => undefined);
  void redis.connect().catch(() => undefined);
  const where = safeUrl(url);
  return {
    where,
    client: redis,
    async status() {
      try {
        // Right after start the first connection may still be on its way.
        if (redis.status !== "ready") await ready(redis, 1_000);
        await redis.ping();
        return "ok";
      } catch {
        return `unreachable at ${where}: start Redis (redis-server) or set REDIS_URL; background projects need it`;
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}

function safeUrl(raw: string): string {
  const url = new URL(raw);
  url.password = url.password ? "***" : "";
  return url.toString();
}

function ready(redis: Redis, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once("ready", done);
  });
}
