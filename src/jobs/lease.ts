import type { Redis } from "ioredis";

// Redis's clock in milliseconds, as a string: the same for every process that asks.
const NOW = `local t = redis.call("time")
local now = t[1] .. string.format("%03d", math.floor(tonumber(t[2]) / 1000))`;

// KEYS: what the message shows ("<ms>|<state>", see SHOWN), the edit lease.
// ARGV: the state to show, how long to hold the lease while editing, the tick (0: none).
// Returns {0}: take it; {1, ms}: busy for ms; {2, ms}: shown, the tick is due in ms (-1: never).
const DUE = `${NOW}
local memo = redis.call("get", KEYS[1])
if memo then
  local bar = string.find(memo, "|", 1, true)
  if bar and string.sub(memo, bar + 1) == ARGV[1] then
    local tick = tonumber(ARGV[3])
    if tick == 0 then return {2, -1} end
    local left = tonumber(string.sub(memo, 1, bar - 1)) + tick - tonumber(now)
    if left > 0 then return {2, left} end
  end
end
if redis.call("set", KEYS[2], "1", "PX", ARGV[2], "NX") then return {0, 0} end
return {1, math.max(1, redis.call("pttl", KEYS[2]))}`;

// KEYS: the edit lease, what the message shows. ARGV: how long to hold the lease, the state shown.
const SHOWN = `${NOW}
redis.call("set", KEYS[1], "1", "PX", ARGV[1])
redis.call("set", KEYS[2], now .. "|" .. ARGV[2], "EX", 86400)
return 0`;

/**
 * Whether an edit is due: `edit` (the caller now holds the lease), `busy` (another edit holds it
 * for `ms`), or `shown` (the message shows the state; with a tick, it is due again in `ms`).
 */
export type Due = { is: "edit" } | { is: "busy"; ms: number } | { is: "shown"; ms?: number };

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
   * Whether an edit of a message that should show `state` is due, and if so takes `name` for
   * `ms` to make it. Not when `memo` says the message shows `state` already, unless `tickMs` is
   * set and it has shown it that long (an edit that only moves its clocks). One round trip, so
   * that an edit that is not due costs next to nothing.
   */
  async due(name: string, ms: number, memo: string, state: string, tickMs = 0): Promise<Due> {
    const [code, wait] = (await this.redis.eval(DUE, 2, this.#key(memo), this.#key(name), state, String(ms), String(tickMs))) as [
      number,
      number,
    ];
    if (code === 0) return { is: "edit" };
    if (code === 1) return { is: "busy", ms: wait };
    return wait < 0 ? { is: "shown" } : { is: "shown", ms: wait };
  }

  /** After an edit: `name` stays held for `ms` from now (the wait before the next edit), and `memo` says `state` is shown since now (for a day). */
  async shown(name: string, ms: number, memo: string, state: string): Promise<void> {
    await this.redis.eval(SHOWN, 2, this.#key(name), this.#key(memo), String(ms), state);
  }

  /** Keeps `name` held for `ms` from now. */
  async hold(name: string, ms: number): Promise<void> {
    await this.redis.set(this.#key(name), "1", "PX", ms);
  }

  async release(name: string): Promise<void> {
    await this.redis.del(this.#key(name));
  }

  #key(name: string): string {
    return `${this.prefix}:${name}`;
  }
}
