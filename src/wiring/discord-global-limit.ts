import { setTimeout as sleep } from "node:timers/promises";
import { DefaultRestOptions, type RESTOptions } from "@discordjs/rest";
import type { Redis } from "ioredis";
import { LuaScript } from "../jobs/lua-script.js";

/** Discord's global rate limit: requests a second per bot, whatever the route. */
export const DISCORD_GLOBAL_PER_SECOND = 50;

// KEYS: "<second>:<count>" of the second of Redis's clock that has requests. ARGV: the limit.
// Returns 0 when the caller may send now (counted), else the milliseconds to the next second.
const TAKE = new LuaScript(
  `local t = redis.call("time")
local count = 0
local seen = redis.call("get", KEYS[1])
if seen then
  local bar = string.find(seen, ":", 1, true)
  if string.sub(seen, 1, bar - 1) == t[1] then count = tonumber(string.sub(seen, bar + 1)) end
end
if count >= tonumber(ARGV[1]) then return math.max(1, 1000 - math.floor(tonumber(t[2]) / 1000)) end
redis.call("set", KEYS[1], t[1] .. ":" .. (count + 1), "PX", 2000)
return 0`,
  1,
);

type MakeRequest = RESTOptions["makeRequest"];

/**
 * discord.js's REST for every instance that holds the bot's token, in any process sharing Redis
 * (the gateway's, the adapter's, each worker's): each request takes its place in a second of
 * Redis's clock, DISCORD_GLOBAL_PER_SECOND at most, or waits for the next. discord.js keeps its
 * own limit per instance, so one process alone is never slower; together they no longer add up
 * past Discord's one limit. Interactions' requests are outside that limit and go at once; so does
 * every request while Redis does not answer (each instance's own limit still holds).
 */
export function sharedGlobalLimit(redis: Redis, prefix: string, perSecond = DISCORD_GLOBAL_PER_SECOND): MakeRequest {
  const key = `${prefix}:discord-global`;
  return async (url, init) => {
    if (!exempt(url)) await placeIn(redis, key, perSecond, init.signal ?? undefined);
    return DefaultRestOptions.makeRequest(url, init);
  };
}

async function placeIn(redis: Redis, key: string, perSecond: number, signal: AbortSignal | undefined): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    let wait: number;
    try {
      wait = Number(await TAKE.run(redis, [key, String(perSecond)]));
    } catch {
      return;
    }
    if (wait === 0) return;
    await sleep(wait, undefined, { signal });
  }
}

/** Interaction callbacks and follow-ups (by webhook): Discord leaves them out of the global limit. */
function exempt(url: string): boolean {
  const { pathname } = new URL(url);
  return /\/(interactions|webhooks)\//.test(pathname);
}
