import type { Redis } from "ioredis";

/** Short exclusive leases in Redis, shared by every process: who may edit or post now. */
export class Leases {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** 0 when the caller now holds `name` for `ms`; else the milliseconds until it is free. */
  async take(name: string, ms: number): Promise<number> {
    const key = this.#key(name);
    if ((await this.redis.set(key, "1", "PX", ms, "NX")) === "OK") return 0;
    return Math.max(1, await this.redis.pttl(key));
  }

  /** Keeps `name` held for `ms` from now (e.g. one interval after an edit completed). */
  async hold(name: string, ms: number): Promise<void> {
    await this.redis.set(this.#key(name), "1", "PX", ms);
  }

  async release(name: string): Promise<void> {
    await this.redis.del(this.#key(name));
  }

  /** A small value that outlives the leases (a day), e.g. what an edit last showed. */
  async remember(name: string, value: string): Promise<void> {
    await this.redis.set(this.#key(name), value, "EX", 86_400);
  }

  async recall(name: string): Promise<string | null> {
    return this.redis.get(this.#key(name));
  }

  #key(name: string): string {
    return `${this.prefix}:${name}`;
  }
}
