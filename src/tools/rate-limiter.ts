import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";

export interface RateLimiter {
  /** Takes one call from `key`'s allowance of `limit` per `windowMs`; false when none is left. */
  take(key: string, limit: number, windowMs: number): Promise<boolean>;
}

/** Counts in this process only: the fallback while Redis is away. */
export class MemoryRateLimiter implements RateLimiter {
  // Calls counted per key and window: one is dropped a window after its last call (it is over by then),
  // or sooner when 10,000 windows are counted.
  readonly #windows = new LRUCache<string, number>({ max: 10_000 });

  async take(key: string, limit: number, windowMs: number): Promise<boolean> {
    const slot = `${key}:${Math.floor(Date.now() / windowMs)}`;
    const used = (this.#windows.get(slot) ?? 0) + 1;
    this.#windows.set(slot, used, { ttl: windowMs });
    return used <= limit;
  }
}

/** Fixed windows in Redis, so every process of the bot shares one allowance. */
export class RedisRateLimiter implements RateLimiter {
  /** `prefix` is REDIS_PREFIX, so that bots sharing one Redis keep their own allowances. */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly fallback: RateLimiter = new MemoryRateLimiter(),
  ) {}

  async take(key: string, limit: number, windowMs: number): Promise<boolean> {
    const slot = `${this.prefix}:rate:${key}:${Math.floor(Date.now() / windowMs)}`;
    try {
      const replies = await this.redis.multi().incr(slot).pexpire(slot, windowMs).exec();
      const used = Number(replies?.[0]?.[1]);
      if (!Number.isFinite(used)) throw new Error("unexpected reply from Redis");
      return used <= limit;
    } catch {
      return this.fallback.take(key, limit, windowMs);
    }
  }
}
