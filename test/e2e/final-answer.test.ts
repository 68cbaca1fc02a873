import { REST } from "@discordjs/rest";
import { WebClient } from "@slack/web-api";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiscordPoster } from "../../src/adapters/discord/poster.js";
import { slackLogger } from "../../src/adapters/slack/logger.js";
import { SlackPoster } from "../../src/adapters/slack/poster.js";
import { FAKE_DISCORD, type FakeDiscord, startFakeDiscord } from "../fakes/discord/index.js";
import { type FakeSlack, startFakeSlack } from "../fakes/slack/index.js";

/** A live-edit interval no test outlives: a final answer that arrives did not wait for it. */
const HOUR = 3_600_000;
const log = pino({ level: "silent" });
const EDIT_ROUTE = "PATCH /channels/:channel/messages/:message";

describe("the final answer is published when the model ends, not when the live-edit interval allows", () => {
  let discord: FakeDiscord;
  let slack: FakeSlack;

  beforeAll(async () => {
    [discord, slack] = await Promise.all([startFakeDiscord(), startFakeSlack()]);
  });
  afterAll(async () => {
    await Promise.all([discord.stop(), slack.stop()]);
  });

  it("on Discord, right after the live post, and after a 429 once Retry-After has passed", async () => {
    const rest = new REST({ api: discord.env().DISCORD_API_URL }).setToken(FAKE_DISCORD.token);
    const poster = new DiscordPoster(rest, log, { editIntervalMs: HOUR });
    const to = { platform: "discord" as const, channel: FAKE_DISCORD.channelId, thread: FAKE_DISCORD.channelId };
    for (const limited of [false, true]) {
      discord.rest.reset();
      if (limited) discord.rest.rateLimit(EDIT_ROUTE, { retryAfter: 1 });
      const stream = poster.stream(to);
      stream.append("Hel");
      const live = await discord.rest.waitFor((call) => call.route === "POST /channels/:channel/messages" && call.status === 200);
      // A live edit for this would wait an hour for its slot; the final text does not.
      stream.append("lo");
      const { id } = await stream.finish("Hello");
      expect(id).toBe((live.response as { id: string }).id);
      const edits = discord.rest.callsTo(EDIT_ROUTE);
      expect(edits.map((edit) => [edit.status, edit.body])).toEqual(
        limited
          ? [
              [429, { content: "Hello" }],
              [200, { content: "Hello" }],
            ]
          : [[200, { content: "Hello" }]],
      );
    }
  });

  it("on Slack without native streaming, right after the live post, and after a 429 once Retry-After has passed", async () => {
    slack.api.script.refuseStreaming();
    const client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, logger: slackLogger(log) });
    const poster = new SlackPoster(client, log, { editIntervalMs: HOUR });
    const channel = "C0FINAL";
    for (const limited of [false, true]) {
      slack.api.calls.length = 0;
      if (limited) slack.api.script.fail("chat.update", "ratelimited", { retryAfter: 1 });
      const thread = limited ? "1700000000.000200" : "1700000000.000100";
      const stream = poster.stream({ platform: "slack", channel, thread });
      stream.append("Hel");
      const live = await slack.api.waitFor((call) => call.method === "chat.postMessage" && call.status === 200);
      stream.append("lo");
      const { id } = await stream.finish("Hello");
      expect(id).toBe((live.response as { ts: string }).ts);
      const updates = slack.api.callsTo("chat.update");
      expect(updates.map((update) => [update.status, update.args.text])).toEqual(
        limited
          ? [
              [429, "Hello"],
              [200, "Hello"],
            ]
          : [[200, "Hello"]],
      );
    }
  });
});
