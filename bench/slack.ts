import type { Database } from "../src/db/client.js";
import { appMention, FAKE_SLACK, startFakeSlack } from "../test/fakes/slack/index.js";
import type { RecordedCall } from "../test/fakes/slack/web-api/args.js";
import { type AnswerCounts, type AnswerTarget, fallbackRows, throughputRows } from "./answers.js";
import { startBenchBot } from "./bench-bot.js";
import { runLoad } from "./load.js";
import { answerTo } from "./model.js";
import type { BenchResult } from "./result.js";

const CHANNELS = 20;

/**
 * Signed app_mention events through the bot (Bolt over HTTP, its own process as `npm start` runs
 * it) to the fake Slack: answers per second, the bot's CPU and Slack calls per answer with native
 * streaming, then the final answer's delay after the model's end when the workspace refuses
 * streaming and answers are edited into one message.
 */
export async function benchSlack(
  engine: Database["engine"] = "pglite",
  counts: AnswerCounts = { serial: 100, concurrent: 320, fallback: 30 },
): Promise<BenchResult[]> {
  const slack = await startFakeSlack({ users: [{ id: "U0ADA", name: "ada", display_name: "ada" }] });
  const { app, model, database, stop } = await startBenchBot("slack", engine, slack.env("http"));
  const url = `${app.url}/slack/events`;

  const textOf = (call: RecordedCall): unknown =>
    call.method === "chat.stopStream" ? (call.response?.message as { text?: unknown } | undefined)?.text : call.args.text;
  const target: AnswerTarget = {
    pid: app.child.pid!,
    database,
    model,
    async answer(question) {
      const event = appMention({
        channel: `C0BENCH${Number(question) % CHANNELS}`,
        text: `<@${FAKE_SLACK.botUserId}> question ${question}`,
      });
      const final = answerTo(question);
      const first = slack.api.waitFor(
        (call) => (call.method === "chat.startStream" || call.method === "chat.postMessage") && call.args.thread_ts === event.ts,
        30_000,
      );
      const last = slack.api.waitFor(
        (call) => ["chat.stopStream", "chat.update", "chat.postMessage"].includes(call.method) && textOf(call) === final,
        30_000,
      );
      const response = await slack.sendEvent(url, event, { seed: false });
      if (response.status !== 200) throw new Error(`event answered ${response.status}`);
      return { firstAt: (await first).at, finalAt: (await last).at };
    },
    calls: () => slack.api.calls.length,
  };
  const verify = async () => {
    const response = await slack.sendUrlVerification(url, "challenge-token");
    if (response.status !== 200) throw new Error(`url_verification answered ${response.status}`);
  };

  try {
    await runLoad(30, 4, () => target.answer(String(1_000_000 + Math.floor(Math.random() * 1e6)))); // warm-up
    const name = engine === "pglite" ? "slack" : "slack-postgres";
    const bare = await runLoad(counts.serial, 1, verify);
    const rows: BenchResult[] = [
      { name, metric: "bare signed round trip p50", value: bare.p50, unit: "ms", note: "url_verification through Bolt" },
      ...(await throughputRows(name, target, counts)),
    ];
    // Last: once refused, the bot edits one message for every answer after.
    slack.api.script.refuseStreaming();
    rows.push(...(await fallbackRows(name, target, counts.fallback, "no native streaming: live message edited")));
    return rows;
  } finally {
    await stop();
    await slack.stop();
  }
}
