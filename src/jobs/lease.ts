import type { Redis } from "ioredis";
import { LuaScript } from "./lua-script.js";

// Redis's clock in milliseconds, as a string: the same for every process that asks.
const NOW = `local t = redis.call("time")
local now = t[1] .. string.format("%03d", math.floor(tonumber(t[2]) / 1000))`;

// A queued tick edit is marked a little shorter than its delay: should the queue's clock run behind
// Redis's, the edit still finds the mark gone and queues the next one.
const TICK_MARGIN_MS = 500;

// KEYS: what the message shows ("<ms>|<state>", see SHOWN), the edit lease, the pending tick.
// ARGV: the state to show, how long to hold the lease while editing, the tick (0: none).
// Returns {0}: take it; {1, ms}: busy for ms; {2, ms, mine}: shown, the tick is due in ms (-1:
// never), and mine = 1 when no tick edit was pending, so the caller queues it (now pending).
const DUE = new LuaScript(
  `${NOW}
local memo = redis.call("get", KEYS[1])
if memo then
  local bar = string.find(memo, "|", 1, true)
  if bar and string.sub(memo, bar + 1) == ARGV[1] then
    local tick = tonumber(ARGV[3])
    if tick == 0 then return {2, -1, 0} end
    local left = tonumber(string.sub(memo, 1, bar - 1)) + tick - tonumber(now)
    if left > 0 then
      if redis.call("set", KEYS[3], "1", "PX", math.max(1, left - ${TICK_MARGIN_MS}), "NX") then return {2, left, 1} end
      return {2, left, 0}
    end
  end
end
if redis.call("set", KEYS[2], "1", "PX", ARGV[2], "NX") then return {0, 0} end
return {1, math.max(1, redis.call("pttl", KEYS[2]))}`,
  3,
);

// KEYS: the edit lease, what the message shows, the pending tick. ARGV: how long to hold the
// lease, the state shown, the tick (0: none). Returns 1 when the caller is to queue the tick edit.
const SHOWN = new LuaScript(
  `${NOW}
redis.call("set", KEYS[1], "1", "PX", ARGV[1])
redis.call("set", KEYS[2], now .. "|" .. ARGV[2], "EX", 86400)
local tick = tonumber(ARGV[3])
if tick > 0 and redis.call("set", KEYS[3], "1", "PX", math.max(1, tick - ${TICK_MARGIN_MS}), "NX") then return 1 end
return 0`,
  3,
);

/**
 * Whether an edit is due: `edit` (the caller now holds the lease), `busy` (another edit holds it
 * for `ms`), or `shown` (the message shows the state). With a tick, `tickIn` says in how many ms
 * the caller is to queue the edit of the next tick; absent when one is queued already (or never).
 */
export type Due = { is: "edit" } | { is: "busy"; ms: number } | { is: "shown"; tickIn?: number };

/** A message edited again for its clocks alone, this often; `name` marks its next edit as queued. */
export interface Tick {
  name: string;
  ms: number;
}

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
   * `ms` to make it. Not when `memo` says the message shows `state` already, unless a `tick` is
   * given and it has shown it that long (an edit that only moves its clocks). One round trip, so
   * that an edit that is not due costs next to nothing.
   */
  async due(name: string, ms: number, memo: string, state: string, tick?: Tick): Promise<Due> {
    const keys = [this.#key(memo), this.#key(name), this.#key(tick?.name ?? `${name}:tick`)];
    const [code, wait, mine] = (await DUE.run(this.redis, [...keys, state, String(ms), String(tick?.ms ?? 0)])) as number[];
    if (code === 0) return { is: "edit" };
    if (code === 1) return { is: "busy", ms: wait! };
    return mine === 1 ? { is: "shown", tickIn: wait } : { is: "shown" };
  }

  /**
   * After an edit: `name` stays held for `ms` from now (the wait before the next edit), and `memo`
   * says `state` is shown since now (for a day). With a `tick`, true when no edit for it is queued
   * yet: the caller queues it, `tick.ms` from now.
   */
  async shown(name: string, ms: number, memo: string, state: string, tick?: Tick): Promise<boolean> {
    const keys = [this.#key(name), this.#key(memo), this.#key(tick?.name ?? `${name}:tick`)];
    return (await SHOWN.run(this.redis, [...keys, String(ms), state, String(tick?.ms ?? 0)])) === 1;
  }

  /** Marks the edit of a tick as queued for `tick.ms` from now; true when none was, so the caller queues it. */
  async tickQueued(tick: Tick): Promise<boolean> {
    return (await this.redis.set(this.#key(tick.name), "1", "PX", Math.max(1, tick.ms - TICK_MARGIN_MS), "NX")) === "OK";
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
