import { Redis } from "ioredis";

export interface RedisProbe {
  /** "ok", or why Redis cannot be used. */
  status(): Promise<string>;
  close(): Promise<void>;
}

/** A quiet connection that only answers whether Redis is there; it keeps retrying in the background. */
export function createRedisProbe(url: string): RedisProbe {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    retryStrategy: () => 2_000,
  });
  redis.on("error", () => undefined);
  void redis.connect().catch(() => undefined);
  const where = safeUrl(url);
  return {
    async status() {
      try {
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
