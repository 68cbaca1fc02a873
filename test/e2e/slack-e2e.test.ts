import type { ChatCompletionRequest } from "@copilotkit/aimock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  appMention,
  channelMessage,
  FAKE_SLACK,
  type FakeSlack,
  imMessage,
  messageChanged,
  selfMessage,
  startFakeSlack,
} from "../fakes/slack/index.js";
import { scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { lastUserText } from "../support/scripted-llm.js";

const BOT = `<@${FAKE_SLACK.botUserId}>`;
const CHANNEL = "C0GENERAL";

describe("Slack end to end (Bolt over HTTP, fake Slack on loopback)", () => {
  let slack: FakeSlack;
  let t: TestApp;
  let events: string;

  beforeAll(async () => {
    slack = await startFakeSlack({ users: [{ id: "U0ADA", name: "ada", display_name: "ada" }] });
    t = await startTestApp({ ...slack.env("http") });
    events = `${t.app.url}/slack/events`;
  });
  afterAll(async () => {
    await t.stop();
    await slack.stop();
  });
  beforeEach(() => {
    slack.api.reset();
    t.llm.mock.clearRequests();
    scriptLlm(t.llm, (request: ChatCompletionRequest) => ({
      content: `Answer to: ${lastUserText(request)}. It comes in several streamed pieces.`,
    }));
  });

  /** The bot's messages in a thread, once it has stopped writing. */
  async function botReplies(channel: string, threadTs: string, count = 1) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const replies = slack.api.messagesIn(channel, threadTs).filter((m) => m.user === FAKE_SLACK.botUserId && m.stream !== "streaming");
      const settled = replies.length >= count && slack.api.reactionsOn(channel, threadTs).length === 0;
      if (settled || Date.now() > deadline) return replies;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The model streams its answer in pieces 20 ms apart, so live text is shown before the final answer. */
  function streamInPieces(): void {
    t.llm.mock.clearFixtures();
    t.llm.mock.addFixture({
      match: { predicate: () => true },
      response: async (request: ChatCompletionRequest) => ({
        content: `Answer to: ${lastUserText(request)}. It comes in several streamed pieces.`,
      }),
      chunkSize: 12,
      streamingProfile: { ttft: 0, tps: 50 },
    });
  }

  it("answers a mention in its thread, streaming natively to the asker", async () => {
    streamInPieces();
    const mention = appMention({ channel: CHANNEL, text: `${BOT} what is the plan?` });
    const sent = await slack.sendEvent(events, mention);
    expect(sent.status).toBe(200);
    const [reply] = await botReplies(CHANNEL, mention.ts as string);
    expect(reply?.text).toBe("Answer to: ada: what is the plan?. It comes in several streamed pieces.");
    expect(reply?.thread_ts).toBe(mention.ts);
    const start = slack.api.callsTo("chat.startStream")[0]!;
    expect(start.args).toMatchObject({
      channel: CHANNEL,
      thread_ts: mention.ts,
      recipient_user_id: "U0ADA",
      recipient_team_id: FAKE_SLACK.teamId,
    });
    expect(slack.api.callsTo("chat.stopStream")).toHaveLength(1);
    // 👀 while the answer was written, taken off once it was published.
    expect(slack.api.callsTo("reactions.add").map((call) => call.args)).toEqual([
      expect.objectContaining({ name: "eyes", channel: CHANNEL, timestamp: mention.ts }),
    ]);
    const stopped = slack.api.callsTo("chat.stopStream")[0]!;
    const removed = slack.api.callsTo("reactions.remove");
    expect(removed.map((call) => call.args)).toEqual([expect.objectContaining({ name: "eyes", timestamp: mention.ts })]);
    expect(slack.api.calls.indexOf(removed[0]!)).toBeGreaterThan(slack.api.calls.indexOf(stopped));
    expect(slack.api.reactionsOn(CHANNEL, mention.ts as string)).toEqual([]);
  });

  it("answers an event retried three times once", async () => {
    const mention = appMention({ channel: CHANNEL, text: `${BOT} once only` });
    const eventId = "Ev0RETRY0001";
    await slack.sendEvent(events, mention, { eventId });
    for (const retryNum of [1, 2, 3]) expect((await slack.sendEvent(events, mention, { eventId, retryNum })).status).toBe(200);
    await botReplies(CHANNEL, mention.ts as string);
    // A retry once it is answered, too, gets no 👀.
    expect((await slack.sendEvent(events, mention, { eventId, retryNum: 4 })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await botReplies(CHANNEL, mention.ts as string)).toHaveLength(1);
    expect(slack.api.callsTo("reactions.add")).toHaveLength(1);
    expect(t.llm.mock.getRequests()).toHaveLength(1);
  });

  it("answers a mention delivered as both message and app_mention once", async () => {
    const mention = appMention({ channel: CHANNEL, text: `${BOT} twins` });
    const twin = channelMessage({ channel: CHANNEL, text: mention.text as string, ts: mention.ts as string });
    await Promise.all([slack.sendEvent(events, twin), slack.sendEvent(events, mention)]);
    const replies = await botReplies(CHANNEL, mention.ts as string);
    expect(replies).toHaveLength(1);
    expect(t.llm.mock.getRequests()).toHaveLength(1);
  });

  it("continues a thread it answered without a new mention, and ignores other threads", async () => {
    const mention = appMention({ channel: CHANNEL, text: `${BOT} start a thread` });
    await slack.sendEvent(events, mention);
    await botReplies(CHANNEL, mention.ts as string);
    const followUp = channelMessage({ channel: CHANNEL, text: "and then?", thread_ts: mention.ts as string });
    await slack.sendEvent(events, followUp);
    const replies = await botReplies(CHANNEL, mention.ts as string, 2);
    expect(replies.map((r) => r.text)).toEqual([expect.stringContaining("start a thread"), expect.stringContaining("and then?")]);
    const prompt = t.llm.mock.getRequests().at(-1)!.body as ChatCompletionRequest;
    expect(prompt.messages.map((m) => m.content)).toEqual(expect.arrayContaining(["ada: start a thread", "ada: and then?"]));

    const stranger = channelMessage({ channel: CHANNEL, text: "chatter", thread_ts: "1600000000.000100" });
    const plain = channelMessage({ channel: CHANNEL, text: "no mention here" });
    await slack.sendEvent(events, stranger);
    await slack.sendEvent(events, plain);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(t.llm.mock.getRequests()).toHaveLength(2);
  });

  it("answers a DM", async () => {
    const dm = imMessage({ text: "hello in private" });
    await slack.sendEvent(events, dm);
    const [reply] = await botReplies(dm.channel as string, dm.ts as string);
    expect(reply?.text).toContain("hello in private");
  });

  it("ignores its own messages, other bots, edits and joins", async () => {
    await slack.sendEvent(events, selfMessage({ channel: CHANNEL, text: `${BOT} I am the bot` }));
    await slack.sendEvent(events, messageChanged({ channel: CHANNEL, ts: "1600000000.000200", text: `${BOT} edited` } as never));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(t.llm.mock.getRequests()).toHaveLength(0);
    expect(slack.api.callsTo("chat.postMessage")).toHaveLength(0);
  });

  it("falls back to live edits at most once per second when the workspace refuses streaming", async () => {
    slack.api.script.refuseStreaming();
    const long = Array.from({ length: 30 }, (_, i) => `Point ${i} of the answer.`).join(" ");
    t.llm.mock.clearFixtures();
    t.llm.mock.addFixture({
      match: { predicate: () => true },
      response: { content: long },
      chunkSize: 12,
      streamingProfile: { ttft: 0, tps: 20 },
    });
    const mention = appMention({ channel: CHANNEL, text: `${BOT} take it slowly` });
    await slack.sendEvent(events, mention);
    const [reply] = await botReplies(CHANNEL, mention.ts as string);
    expect(reply?.text).toBe(long);
    expect(reply!.edits).toBeGreaterThan(1);
    // Live writes keep a second apart; the final text (the last write) does not wait for its turn.
    const writes = reply!.writes.slice(0, -1).map((write) => write.at);
    for (let i = 1; i < writes.length; i++) expect(writes[i]! - writes[i - 1]!).toBeGreaterThanOrEqual(990);

    // Refused once, the poster does not try native streaming again.
    const calls = slack.api.callsTo("chat.startStream").length;
    const again = appMention({ channel: CHANNEL, text: `${BOT} again` });
    await slack.sendEvent(events, again);
    await botReplies(CHANNEL, again.ts as string);
    expect(slack.api.callsTo("chat.startStream")).toHaveLength(calls);
    slack.api.script.allowStreaming();
  });

  it("splits a 6,000-character answer with a code block into messages with intact fences", async () => {
    const code = Array.from({ length: 120 }, (_, i) => `  step${i} = run(step${i - 1}, "configuration value ${i}")`).join("\n");
    const answer = `Here is the migration plan.\n\n${"Some context about the plan. ".repeat(40)}\n\n\`\`\`python\n${code}\n\`\`\`\n\nDone.`;
    expect(answer.length).toBeGreaterThan(6_000);
    scriptLlm(t.llm, () => ({ content: answer }));
    const mention = appMention({ channel: CHANNEL, text: `${BOT} write the migration` });
    await slack.sendEvent(events, mention);
    const replies = await botReplies(CHANNEL, mention.ts as string, 2);
    expect(replies.length).toBeGreaterThanOrEqual(2);
    for (const reply of replies) {
      expect(reply.text.length).toBeLessThanOrEqual(3_500);
      expect((reply.text.match(/```/g) ?? []).length % 2).toBe(0);
    }
    const all = replies.map((reply) => reply.text).join("\n");
    expect(all).toContain("step0 = run");
    expect(all).toContain("step119 = run");
    expect(all.trim().endsWith("Done.")).toBe(true);
  });

  it("waits out a rate-limited chat.update and goes on", async () => {
    streamInPieces();
    slack.api.script.refuseStreaming();
    slack.api.script.fail("chat.update", "ratelimited", { retryAfter: 1 });
    const mention = appMention({ channel: CHANNEL, text: `${BOT} rate limits` });
    await slack.sendEvent(events, mention);
    const [reply] = await botReplies(CHANNEL, mention.ts as string);
    expect(reply?.text).toContain("Answer to: ada: rate limits.");
    const updates = slack.api.callsTo("chat.update");
    expect(updates[0]?.status).toBe(429);
    expect(updates[1]!.at - updates[0]!.at).toBeGreaterThanOrEqual(990);
    slack.api.script.allowStreaming();
  });

  it("turns an LLM failure into a short warning in the thread", async () => {
    t.llm.mock.nextRequestError(500, { message: "boom", type: "server_error" });
    const mention = appMention({ channel: CHANNEL, text: `${BOT} fail please` });
    await slack.sendEvent(events, mention);
    const [reply] = await botReplies(CHANNEL, mention.ts as string);
    expect(reply?.text).toMatch(/^⚠️ I could not answer/);
  });

  it("refuses bad signatures, stale timestamps and malformed bodies, and runs nothing", async () => {
    const mention = appMention({ channel: CHANNEL, text: `${BOT} forged` });
    expect((await slack.sendEvent(events, mention, { badSignature: true })).status).toBe(401);
    expect((await slack.sendEvent(events, mention, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })).status).toBe(401);
    const { signSlackRequest } = await import("../fakes/slack/events.js");
    const body = "{not json";
    const malformed = await fetch(events, {
      method: "POST",
      headers: { "content-type": "application/json", ...signSlackRequest(slack.signingSecret, body) },
      body,
    });
    expect(malformed.status).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(t.llm.mock.getRequests()).toHaveLength(0);
    expect(slack.api.callsTo("chat.postMessage")).toHaveLength(0);
  });

  it("does not answer an event Slack redelivers after a restart", async () => {
    const mention = appMention({ channel: CHANNEL, text: `${BOT} before the restart` });
    await slack.sendEvent(events, mention, { eventId: "Ev0REDELIVER" });
    await botReplies(CHANNEL, mention.ts as string);
    await t.restart();
    events = `${t.app.url}/slack/events`;
    const again = await slack.sendEvent(events, mention, { eventId: "Ev0REDELIVER", retryNum: 3 });
    expect(again.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(t.llm.mock.getRequests()).toHaveLength(1);
    expect(slack.api.messagesIn(CHANNEL, mention.ts as string).filter((m) => m.user === FAKE_SLACK.botUserId)).toHaveLength(1);
    // The 👀 does not flash again on the answered message.
    expect(slack.api.callsTo("reactions.add")).toHaveLength(1);
  });

  it("keeps the web console off when only Slack is configured, but serves health", async () => {
    expect((await t.get("/api/health")).status).toBe(200);
    expect((await t.post("/api/chat", { channel: "general", user: "ada", text: "hi" })).status).toBe(404);
  });

  it("answers slash commands ephemerally through response_url", async () => {
    for (const [command, expected] of [
      ["/agent", "Model: fake-model"],
      ["/memory", "remember"],
      ["/tools", "calculator"],
      ["/usage", "Model usage in #general today"],
    ] as const) {
      const acked = await slack.sendSlashCommand(events, {
        command,
        text: "",
        channel_id: CHANNEL,
        channel_name: "general",
        user_id: "U0ADA",
        user_name: "ada",
      });
      expect(acked.status).toBe(200);
      const response = await slack.api.waitForResponse((post) => post.context?.command === command);
      expect(response.body).toMatchObject({ response_type: "ephemeral" });
      expect(String(response.body.text)).toContain(expected);
    }
  });
});

describe("Slack with ACK_REACTION empty", () => {
  it("answers without putting a reaction on the message", async () => {
    const slack = await startFakeSlack({ users: [{ id: "U0ADA", name: "ada", display_name: "ada" }] });
    const t = await startTestApp({ ...slack.env("http"), ACK_REACTION: "" });
    try {
      scriptLlm(t.llm, () => ({ content: "No reaction needed." }));
      const mention = appMention({ channel: CHANNEL, text: `${BOT} quietly` });
      await slack.sendEvent(`${t.app.url}/slack/events`, mention);
      const reply = await slack.api.waitFor((call) => call.method === "chat.postMessage" && call.args.thread_ts === mention.ts, 10_000);
      expect(reply.args.text).toBe("No reaction needed.");
      // Anything that would (wrongly) follow the answer has happened.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(slack.api.calls.filter((call) => call.method.startsWith("reactions."))).toEqual([]);
    } finally {
      await t.stop();
      await slack.stop();
    }
  });
});

describe("Slack's 👀 with a delay", () => {
  it("is not put on a message answered within the delay, and is put on one answered later until its answer is out", async () => {
    const slack = await startFakeSlack({ users: [{ id: "U0ADA", name: "ada", display_name: "ada" }] });
    const t = await startTestApp({ ...slack.env("http"), ACK_REACTION_DELAY_MS: "3000" });
    const events = `${t.app.url}/slack/events`;
    const reactionCalls = (ts: string) =>
      slack.api.calls.filter((call) => call.method.startsWith("reactions.") && call.args.timestamp === ts);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      scriptLlm(t.llm, async (request) => {
        if (lastUserText(request).includes("slow")) await held;
        return { content: `Answer to: ${lastUserText(request)}.` };
      });
      const quick = appMention({ channel: CHANNEL, text: `${BOT} quick` });
      const sentAt = Date.now();
      await slack.sendEvent(events, quick);
      await slack.api.waitFor((call) => call.method === "chat.postMessage" && call.args.thread_ts === quick.ts, 10_000);
      // Past the delay: a reaction that would (wrongly) come has come.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, sentAt + 3_500 - Date.now())));
      expect(reactionCalls(quick.ts as string)).toEqual([]);

      const slow = appMention({ channel: CHANNEL, text: `${BOT} slow` });
      await slack.sendEvent(events, slow);
      await slack.api.waitFor((call) => call.method === "reactions.add" && call.args.timestamp === slow.ts, 10_000);
      expect(slack.api.reactionsOn(CHANNEL, slow.ts as string)).toEqual(["eyes"]);
      release();
      await slack.api.waitFor((call) => call.method === "reactions.remove" && call.args.timestamp === slow.ts, 10_000);
      const answer = slack.api.calls.findIndex((call) => call.method === "chat.postMessage" && call.args.thread_ts === slow.ts);
      const removed = slack.api.calls.findIndex((call) => call.method === "reactions.remove" && call.args.timestamp === slow.ts);
      expect(answer).toBeGreaterThan(-1);
      expect(removed).toBeGreaterThan(answer);
      expect(slack.api.reactionsOn(CHANNEL, slow.ts as string)).toEqual([]);
    } finally {
      release();
      await t.stop();
      await slack.stop();
    }
  });
});
