import { randomBytes } from "node:crypto";
import { REST, type RESTOptions } from "@discordjs/rest";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DiscordPoster } from "../../src/adapters/discord/poster.js";
import { sharedGlobalLimit } from "../../src/wiring/discord-global-limit.js";
import { FAKE_DISCORD, type FakeDiscord, startFakeDiscord } from "../fakes/discord/index.js";
import { freePort } from "../support/ports.js";

const silent = pino({ level: "silent" });
const channel = { platform: "discord" as const, channel: FAKE_DISCORD.channelId, thread: FAKE_DISCORD.channelId };

/**
 * Discord allows a bot 50 requests a second in all. discord.js holds each REST instance to that,
 * and a deployment has several (the gateway's, the adapter's, each worker's, in each process):
 * through Redis, together they keep to the one limit.
 */
describe("Discord's global limit, shared through Redis", () => {
  let discord: FakeDiscord;
  const redis = new Redis("redis://127.0.0.1:6379");
  const prefix = `qtest-${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    discord = await startFakeDiscord();
  });
  afterAll(async () => {
    await discord?.stop();
    await redis.quit();
  });
  beforeEach(() => discord.rest.reset());

  const poster = (rest: Pick<RESTOptions, "makeRequest" | "timeout">) => {
    const { DISCORD_API_URL, DISCORD_TOKEN } = discord.env();
    return new DiscordPoster(new REST({ api: DISCORD_API_URL, ...rest }).setToken(DISCORD_TOKEN), silent);
  };
  const posted = () => discord.rest.calls.filter((call) => call.method === "POST");

  it("holds two REST instances to one limit together, in groups that go at once", async () => {
    // 10 a second at most, in groups of 2: a group every 250 ms.
    const limit = sharedGlobalLimit(redis, prefix, { perSecond: 10, burst: 2 });
    const posters = [poster(limit), poster(limit)];
    const started = Date.now();
    await Promise.all(Array.from({ length: 40 }, (_, i) => posters[i % 2]!.post(channel, `message ${i}`)));
    const calls = posted();
    expect(calls).toHaveLength(40);
    // 20 groups: the last starts 4.75 s after the first, which began at most 250 ms before `started`
    // (groups are aligned to the clock), and timers only ever fire late. On their own limits (50 a
    // second each), the two instances are done in well under a second.
    expect(calls.at(-1)!.at - started).toBeGreaterThanOrEqual(4_490);
  });

  it("sends at once while Redis does not answer, each instance on its own limit", async () => {
    const down = new Redis({ port: await freePort(), lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    down.on("error", () => undefined);
    try {
      const message = await poster(sharedGlobalLimit(down, prefix)).post(channel, "no Redis");
      expect(message.id).not.toBe("");
      expect(posted().map((call) => call.body)).toEqual([expect.objectContaining({ content: "no Redis" })]);
    } finally {
      down.disconnect();
    }
  });
});
