import { setTimeout as sleep } from "node:timers/promises";
import { DefaultRestOptions, type RESTOptions } from "@discordjs/rest";
import type { Redis } from "ioredis";
import { withinDeadline } from "../core/unavailable.js";
import { LuaScript } from "../jobs/lua-script.js";

/** Discord's global rate limit: requests a second per bot, whatever the route. */
const DISCORD_GLOBAL_PER_SECOND = 50;

export interface GlobalLimit {
  /** At most this many requests in any second. */
  perSecond: number;
  /** They go in groups of this many at once, evenly spaced: fewer wake-ups of every party than one by one. */
  burst: number;
}

/**
 * Discord's limit as the bot keeps to it: 48 a second in pairs, every 1/24 s. Larger groups cost
 * less CPU (fewer wake-ups) but make a request wait longer for its group: five, every 1/9 s, took
 * the first text of a steady stream of answers to a p99 of 95 ms.
 */
export const DISCORD_LIMIT: GlobalLimit = { perSecond: DISCORD_GLOBAL_PER_SECOND, burst: 2 };

/**
 * Requests a second that `limit` lets through for as long as they keep coming. Its groups start
 * burst / sustained s apart, so a second holds at most sustained / burst + 1 group starts: never
 * more than `perSecond` requests.
 */
export const sustainedPerSecond = (limit: GlobalLimit) => limit.perSecond - limit.burst;

/**
 * A place further away than this is not reserved: the request asks again after this long, and
 * is never sent unpaced (Discord counts the 429s of a bot over its limit towards a ban).
 */
const MAX_WAIT_MS = 5_000;
/** discord.js's own request timeout, which runs while a request waits for its place: lengthened by the longest wait. */
const REST_TIMEOUT_MS = 15_000 + MAX_WAIT_MS;
/** A Redis that does not answer by then is taken to be away: the request goes at once. */
const REDIS_MS = 250;

// Reservations on Redis's clock. KEYS: when (µs) the next request is due at the steady rate.
// ARGV: µs between requests, µs between groups (burst of them), µs the caller may wait. A request
// goes at the start of the group its due time falls in (groups aligned to multiples of their
// length); returns the µs until then, or -1 (nothing reserved) when that is too far. A due time
// further ahead than any reservation makes (the clock went back) starts afresh.
const RESERVE = new LuaScript(
  `local t = redis.call("time")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local due = tonumber(redis.call("get", KEYS[1]) or "0")
if due < now or due > now + tonumber(ARGV[3]) + tonumber(ARGV[2]) then due = now end
local group = tonumber(ARGV[2])
local wait = math.floor(due / group) * group - now
if wait < 0 then wait = 0 end
if wait > tonumber(ARGV[3]) then return -1 end
local nextDue = due + tonumber(ARGV[1])
redis.call("set", KEYS[1], string.format("%.0f", nextDue), "PX", math.ceil((nextDue - now) / 1000) + 1000)
return wait`,
  1,
);

/**
 * REST options for discord.js's instances that hold the bot's token, in any process sharing Redis
 * (the gateway's, the adapter's, each worker's): each request reserves its place, at most
 * `perSecond` in any second of Redis's clock, in groups of `burst` that go at once, and waits for
 * it (the timeout lengthened to match). discord.js keeps its own limit per instance too, so
 * together the instances no longer add up past Discord's one limit. Interactions'
 * requests are outside that limit and go at once; so does a request while Redis does not answer.
 */
export function sharedGlobalLimit(
  redis: Redis,
  prefix: string,
  limit: GlobalLimit = DISCORD_LIMIT,
): Pick<RESTOptions, "makeRequest" | "timeout"> {
  const key = `${prefix}:discord-global`;
  const spacingUs = Math.ceil(1_000_000 / sustainedPerSecond(limit));
  const args = [key, String(spacingUs), String(spacingUs * limit.burst), String(MAX_WAIT_MS * 1_000)];
  const placeIn = async (signal: AbortSignal | undefined) => {
    for (;;) {
      // A request discord.js gave up on (its timeout) reserves nothing.
      signal?.throwIfAborted();
      const waitUs = await withinDeadline(RESERVE.run(redis, args), REDIS_MS, "Redis").catch(() => undefined);
      if (typeof waitUs !== "number") return;
      if (waitUs >= 0) return void (waitUs > 0 && (await sleep(waitUs / 1_000, undefined, { signal })));
      await sleep(MAX_WAIT_MS, undefined, { signal });
    }
  };
  return {
    timeout: REST_TIMEOUT_MS,
    makeRequest: async (url, init) => {
      if (!exempt(url)) await placeIn(init.signal ?? undefined);
      return DefaultRestOptions.makeRequest(url, init);
    },
  };
}

// Matched on the whole URL, after the API version (discord.js: `${api}/v10${route}`): no parse per request.
const EXEMPT = /\/v\d+\/(interactions|webhooks)\//;

/** Interaction callbacks and follow-ups (by webhook): Discord leaves them out of the global limit. */
function exempt(url: string): boolean {
  return EXEMPT.test(url);
}
