import { FAKE_DISCORD, startFakeDiscord } from "../test/fakes/discord/index.js";
import type { RecordedRequest } from "../test/fakes/discord/rest.js";
import { startTestApp } from "../test/support/app.js";
import { runLoad } from "./load.js";
import { type BenchResult, percentile } from "./result.js";

const POST_MESSAGE = "POST /channels/:channel/messages";

/**
 * Gateway MESSAGE_CREATE mentions through the real discord.js client and app to the fake Discord,
 * with an instant fake LLM: events per second, and the delay from dispatch to the first visible
 * text in the answer's thread, beside a bare REST round trip to the same fake.
 */
export async function benchDiscord(counts = { bare: 200, serial: 30, concurrent: 160 }): Promise<BenchResult[]> {
  const discord = await startFakeDiscord();
  const t = await startTestApp({ ...discord.env(), LOG_LEVEL: "silent" });
  t.llm.mock.addFixture({ match: { predicate: () => true }, response: { content: "An instant answer, streamed into the thread." } });

  const finalText = (call: RecordedRequest) => {
    const content = (call.body as { content?: unknown } | undefined)?.content;
    return typeof content === "string" && !content.endsWith(" …");
  };
  /** Dispatches one mention; resolves with ms to the first text, once `until` is seen. */
  const mention = async (i: number, until: "first" | "answer"): Promise<number> => {
    const dispatchedAt = Date.now();
    const sent = discord.sendMessage({
      channel_id: FAKE_DISCORD.channelId,
      guild_id: FAKE_DISCORD.guildId,
      content: `question ${i}`,
      mentionBot: true,
    });
    const first = await discord.rest.waitFor((call) => call.route === POST_MESSAGE && call.params.channel === sent.id, 30_000);
    if (until === "answer")
      await discord.rest.waitFor(
        (call) => call.method !== "GET" && call.path.startsWith(`/channels/${sent.id}/messages`) && finalText(call),
        30_000,
      );
    return first.at - dispatchedAt;
  };
  const bareRoundTrip = async () => {
    const response = await fetch(`${discord.rest.apiUrl}/v10/users/@me`, { headers: { authorization: `Bot ${FAKE_DISCORD.token}` } });
    if (response.status !== 200) throw new Error(`users/@me answered ${response.status}`);
    await response.arrayBuffer();
  };

  try {
    await runLoad(20, 4, (i) => mention(i, "answer").then(() => undefined)); // warm-up
    const bare = await runLoad(counts.bare, 1, bareRoundTrip);
    discord.rest.reset();
    const firstText: number[] = [];
    // One whole answer at a time, so nothing else shares the client's 50 requests/s global limit.
    const serial = await runLoad(counts.serial, 1, async (i) => void firstText.push(await mention(i, "answer")));
    firstText.sort((a, b) => a - b);
    discord.rest.reset();
    const concurrent = await runLoad(counts.concurrent, 16, (i) => mention(i, "answer").then(() => undefined));
    const name = "discord";
    return [
      { name, metric: "bare REST round trip p50", value: bare.p50, unit: "ms", note: "GET /users/@me on the fake" },
      { name, metric: "bare REST round trip p99", value: bare.p99, unit: "ms" },
      {
        name,
        metric: "c=1 first text after dispatch p50",
        value: percentile(firstText, 50),
        unit: "ms",
        note: "MESSAGE_CREATE sent → first message in the thread",
      },
      { name, metric: "c=1 first text after dispatch p99", value: percentile(firstText, 99), unit: "ms" },
      { name, metric: "c=1 events/s", value: serial.perSecond, unit: "ev/s", note: "dispatch → final answer" },
      {
        name,
        metric: "c=16 events/s",
        value: concurrent.perSecond,
        unit: "ev/s",
        note: "dispatch → final answer; ≈2 s each: live post, live edit and final edit 1 s apart",
      },
      { name, metric: "c=16 answer p50", value: concurrent.p50, unit: "ms" },
      { name, metric: "c=16 answer p99", value: concurrent.p99, unit: "ms" },
      {
        name,
        metric: "c=16 REST calls per answer",
        value: discord.rest.calls.length / counts.concurrent,
        unit: "calls",
        note: "thread, typing, post, edit(s)",
      },
    ];
  } finally {
    await t.stop();
    await discord.stop();
  }
}
