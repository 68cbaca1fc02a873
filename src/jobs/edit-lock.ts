import type { Redis } from "ioredis";

/** Spaces out edits of one message across every process: a Redis key that lives for the interval. */
export class EditLock {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** 0 when this caller may edit now (the next must wait `intervalMs`); else the milliseconds to wait. */
  async take(id: string, intervalMs: number): Promise<number> {
    const key = `${this.prefix}:edit:${id}`;
    if ((await this.redis.set(key, String(Date.now()), "PX", intervalMs, "NX")) === "OK") return 0;
    return Math.max(1, await this.redis.pttl(key));
  }
}
