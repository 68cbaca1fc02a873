import type { Database } from "../src/db/client.js";
import { DISCORD_LIMIT, sustainedPerSecond } from "../src/wiring/discord-global-limit.js";
import { FAKE_DISCORD, startFakeDiscord } from "../test/fakes/discord/index.js";
import { type AnswerCounts, type AnswerTarget, fallbackRows, throughputRows } from "./answers.js";
import { startBenchBot } from "./bench-bot.js";
import { runLoad } from "./load.js";
import { answerTo } from "./model.js";
import type { BenchResult } from "./result.js";

/**
 * Gateway MESSAGE_CREATE mentions, all in one channel, through the bot (discord.js, its own
 * process as `npm start` runs it) to the fake Discord: answers per second, the bot's CPU and REST
 * calls per answer, and the final answer's delay after the model's end (Discord answers are
 * always edited into one message).
 */
export async function benchDiscord(
  engine: Database["engine"] = "pglite",
  counts: AnswerCounts = { serial: 40, concurrent: 160, fallback: 30 },
): Promise<BenchResult[]> {
  const discord = await startFakeDiscord();
  const { app, model, database, stop } = await startBenchBot("discord", engine, discord.env());

  const target: AnswerTarget = {
    pid: app.child.pid!,
    database,
    model,
    async answer(question) {
      const sent = discord.sendMessage({
        channel_id: FAKE_DISCORD.channelId,
        guild_id: FAKE_DISCORD.guildId,
        content: `question ${question}`,
        mentionBot: true,
      });
      const final = answerTo(question);
      const inThread = (path: string) => path.startsWith(`/channels/${sent.id}/messages`);
      const [first, last] = await Promise.all([
        discord.rest.waitFor((call) => call.method === "POST" && inThread(call.path), 30_000),
        discord.rest.waitFor(
          (call) => call.method !== "GET" && inThread(call.path) && (call.body as { content?: unknown } | undefined)?.content === final,
          30_000,
        ),
      ]);
      return { firstAt: first.at, finalAt: last.at };
    },
    calls: () => discord.rest.calls.length,
    callsPerSecond: sustainedPerSecond(DISCORD_LIMIT),
  };
  const bareRoundTrip = async () => {
    const response = await fetch(`${discord.rest.apiUrl}/v10/users/@me`, { headers: { authorization: `Bot ${FAKE_DISCORD.token}` } });
    if (response.status !== 200) throw new Error(`users/@me answered ${response.status}`);
    await response.arrayBuffer();
  };

  try {
    await runLoad(20, 4, () => target.answer(String(1_000_000 + Math.floor(Math.random() * 1e6)))); // warm-up
    const name = engine === "pglite" ? "discord" : "discord-postgres";
    const bare = await runLoad(counts.serial, 1, bareRoundTrip);
    return [
      { name, metric: "bare REST round trip p50", value: bare.p50, unit: "ms", note: "GET /users/@me on the fake" },
      ...(await throughputRows(name, target, counts)),
      ...(await fallbackRows(name, target, counts.fallback, "live message edited (Discord has no native streaming)")),
    ];
  } finally {
    await stop();
    await discord.stop();
  }
}
