import type { ChatCompletionRequest } from "@copilotkit/aimock";
import { appMention, FAKE_SLACK, startFakeSlack } from "../test/fakes/slack/index.js";
import { startTestApp } from "../test/support/app.js";
import { runLoad } from "./load.js";
import { type BenchResult, percentile } from "./result.js";

/**
 * Signed app_mention events through the real Bolt app to the fake Slack, with an instant fake LLM:
 * events per second, and the delay from receipt to the first visible text in the thread.
 */
export async function benchSlack(counts = { serial: 150, concurrent: 400 }): Promise<BenchResult[]> {
  const slack = await startFakeSlack({ users: [{ id: "U0ADA", name: "ada", display_name: "ada" }] });
  const t = await startTestApp({ ...slack.env("http"), LOG_LEVEL: "silent" });
  t.llm.mock.addFixture({ match: { predicate: () => true }, response: { content: "An instant answer, streamed into the thread." } });
  const url = `${t.app.url}/slack/events`;
  const sentAt = new Map<string, number>();
  const questionOf = new Map<string, string>();

  const firstText = (threadTs: string) =>
    slack.api.waitFor(
      (call) => (call.method === "chat.startStream" || call.method === "chat.postMessage") && call.args.thread_ts === threadTs,
      30_000,
    );
  const mention = async (i: number) => {
    const event = appMention({ channel: `C0BENCH${i % 20}`, text: `<@${FAKE_SLACK.botUserId}> question ${i}` });
    const ts = event.ts as string;
    sentAt.set(ts, Date.now());
    questionOf.set(ts, String(i));
    const visible = firstText(ts);
    const answered = slack.api.waitFor((call) => call.method === "reactions.remove" && call.args.timestamp === ts, 30_000);
    const response = await slack.sendEvent(url, event, { seed: false });
    if (response.status !== 200) throw new Error(`event answered ${response.status}`);
    await visible;
    await answered;
  };
  const verify = async () => {
    const response = await slack.sendUrlVerification(url, "challenge-token");
    if (response.status !== 200) throw new Error(`url_verification answered ${response.status}`);
  };

  try {
    await runLoad(30, 4, mention); // warm-up
    const bare = await runLoad(counts.serial, 1, verify);
    slack.api.reset();
    t.llm.mock.clearRequests();
    sentAt.clear();
    const serial = await runLoad(counts.serial, 1, mention);
    const firstTextAfterReceipt: number[] = [];
    const firstTextAfterLlm: number[] = [];
    const llmArrival = new Map<string, number>();
    for (const entry of t.llm.mock.getRequests()) {
      const body = entry.body as ChatCompletionRequest;
      const last = String(body.messages.at(-1)?.content ?? "");
      const match = /question (\d+)/.exec(last);
      if (match) llmArrival.set(match[1]!, entry.timestamp);
    }
    for (const call of slack.api.calls) {
      if (call.method !== "chat.startStream" && call.method !== "chat.postMessage") continue;
      const ts = String(call.args.thread_ts);
      const sent = sentAt.get(ts);
      if (sent !== undefined) firstTextAfterReceipt.push(call.at - sent);
      const question = questionOf.get(ts);
      const llmAt = question === undefined ? undefined : llmArrival.get(question);
      if (llmAt !== undefined) firstTextAfterLlm.push(call.at - llmAt);
    }
    firstTextAfterReceipt.sort((a, b) => a - b);
    firstTextAfterLlm.sort((a, b) => a - b);
    slack.api.reset();
    const concurrent = await runLoad(counts.concurrent, 16, mention);
    const name = "slack";
    return [
      { name, metric: "bare signed round trip p50", value: bare.p50, unit: "ms", note: "url_verification through Bolt" },
      { name, metric: "bare signed round trip p99", value: bare.p99, unit: "ms" },
      { name, metric: "c=1 events/s", value: serial.perSecond, unit: "ev/s", note: "event sent → answer complete" },
      { name, metric: "c=1 first text after receipt p50", value: percentile(firstTextAfterReceipt, 50), unit: "ms" },
      { name, metric: "c=1 first text after receipt p99", value: percentile(firstTextAfterReceipt, 99), unit: "ms" },
      {
        name,
        metric: "c=1 first text after LLM call p50",
        value: percentile(firstTextAfterLlm, 50),
        unit: "ms",
        note: "LLM request arrival → first text at Slack",
      },
      { name, metric: "c=1 first text after LLM call p99", value: percentile(firstTextAfterLlm, 99), unit: "ms", note: "goal < 50 ms" },
      { name, metric: "c=16 events/s", value: concurrent.perSecond, unit: "ev/s", note: "20 channels" },
      { name, metric: "c=16 answer p99", value: concurrent.p99, unit: "ms" },
    ];
  } finally {
    await t.stop();
    await slack.stop();
  }
}
