import type { Redis } from "ioredis";

const TAKE_UNLESS = `
if redis.call("get", KEYS[1]) == ARGV[1] then return -1 end
if redis.call("set", KEYS[2], "1", "PX", ARGV[2], "NX") then return 0 end
return math.max(1, redis.call("pttl", KEYS[2]))`;

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

  /**
   * Takes `name` for `ms` unless `memo` already holds `value` (then -1: nothing to do); else as
   * `take`. One round trip, so that an edit that is not due costs next to nothing.
   */
  async takeUnless(name: string, ms: number, memo: string, value: string): Promise<number> {
    const result = await this.redis.eval(TAKE_UNLESS, 2, this.#key(memo), this.#key(name), value, String(ms));
    return Number(result);
  }

  /** Keeps `name` held for `ms` from now (e.g. one interval after an edit completed); with `memo`, also stores a small value for a day. */
  async hold(name: string, ms: number, memo?: { name: string; value: string }): Promise<void> {
    const pipeline = this.redis.pipeline().set(this.#key(name), "1", "PX", ms);
    if (memo) pipeline.set(this.#key(memo.name), memo.value, "EX", 86_400);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
  }

  async release(name: string): Promise<void> {
    await this.redis.del(this.#key(name));
  }

  #key(name: string): string {
    return `${this.prefix}:${name}`;
  }
}
