import type { ChatCompletionRequest } from "@copilotkit/aimock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appMention, FAKE_SLACK, imMessage } from "../fakes/slack/index.js";
import { scriptLlm } from "../support/app.js";
import { lastUserText, systemText } from "../support/scripted-llm.js";
import { type SlackApp, startSlackApp } from "../support/slack-app.js";

const BOT = `<@${FAKE_SLACK.botUserId}>`;

/** What the model is shown of Slack messages: the text as people read it, channels by name, a DM's recent conversation. */
describe("Slack text as written (Bolt over HTTP, fake Slack on loopback)", () => {
  let s: SlackApp;

  beforeAll(async () => {
    s = await startSlackApp({
      users: [
        { id: "U0ADA", name: "ada", display_name: "ada" },
        { id: "U0BOB", name: "bob", real_name: "Robert Tables", display_name: "Bobby Tables" },
      ],
    });
  });
  afterAll(() => s.stop());
  beforeEach(() => {
    s.t.llm.mock.clearRequests();
    scriptLlm(s.t.llm, (request: ChatCompletionRequest) => ({ content: `Answer to: ${lastUserText(request)}` }));
  });

  /** The model's requests, as they went over the wire. */
  const requests = () => s.t.llm.mock.getRequests().map((request) => request.body as ChatCompletionRequest);

  async function answered(channel: string, threadTs: string, count = 1) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const replies = s.slack.api
        .messagesIn(channel, threadTs)
        .filter((m) => m.user === FAKE_SLACK.botUserId && m.stream !== "streaming" && m.ts !== threadTs);
      if (replies.length >= count || Date.now() > deadline) return replies;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it("shows the model the text a person reads, and names the channel in its instructions", async () => {
    // As Slack sends it: entities escaped, mentions and links as markup.
    const text =
      `${BOT} ask <@U0BOB> about <#C0RANDOM> and <#C0GENERAL|general> &amp; <https://example.com/plan?a=1&amp;b=2|the plan>: ` +
      "is 1 &lt; 2 &amp;&amp; 3 &gt; 2? <!here> cc <!subteam^S0TEAM|@platform> <mailto:ops@example.com|ops@example.com>";
    const mention = appMention({ channel: "C0GENERAL", text });
    await s.slack.sendEvent(s.events, mention);
    await answered("C0GENERAL", mention.ts as string);
    const [request] = requests();
    expect(lastUserText(request!)).toBe(
      "ada: ask @Bobby Tables about #random and #general & the plan (https://example.com/plan?a=1&b=2): " +
        "is 1 < 2 && 3 > 2? @here cc @platform ops@example.com",
    );
    expect(systemText(request!)).toContain('the slack channel "general"');
    expect(systemText(request!)).not.toContain("C0GENERAL");
    // Names are looked up once and kept.
    const again = appMention({ channel: "C0GENERAL", text: `${BOT} and <@U0BOB> again in <#C0RANDOM>` });
    await s.slack.sendEvent(s.events, again);
    await answered("C0GENERAL", again.ts as string);
    expect(lastUserText(requests()[1]!)).toBe("ada: and @Bobby Tables again in #random");
    expect(s.slack.api.callsTo("users.info").filter((call) => call.args.user === "U0BOB")).toHaveLength(1);
    expect(s.slack.api.callsTo("conversations.info").filter((call) => call.args.channel === "C0RANDOM")).toHaveLength(1);
  });

  it("renames the channel's row when Slack knows a new name", async () => {
    s.slack.api.addChannel({ id: "C0LAUNCH", name: "launch" });
    const first = appMention({ channel: "C0LAUNCH", text: `${BOT} hello` });
    await s.slack.sendEvent(s.events, first);
    await answered("C0LAUNCH", first.ts as string);
    expect(systemText(requests()[0]!)).toContain('channel "launch"');
    // Renamed in Slack; a new process (with empty caches) sees the new name.
    s.slack.api.addChannel({ id: "C0LAUNCH", name: "launch-2025" });
    await s.t.restart();
    s.events = `${s.t.app.url}/slack/events`;
    const second = appMention({ channel: "C0LAUNCH", text: `${BOT} hello again`, thread_ts: first.ts as string });
    await s.slack.sendEvent(s.events, second);
    await answered("C0LAUNCH", first.ts as string, 2);
    expect(systemText(requests()[1]!)).toContain('channel "launch-2025"');
  });

  it("shows a top-level DM the DM's conversation before it, each answer in its own thread", async () => {
    const first = imMessage({ text: "my favourite colour is teal" });
    await s.slack.sendEvent(s.events, first);
    const [firstReply] = await answered("D0ADA", first.ts as string);
    expect(firstReply?.thread_ts).toBe(first.ts);
    const second = imMessage({ text: "what is my favourite colour?" });
    await s.slack.sendEvent(s.events, second);
    const [secondReply] = await answered("D0ADA", second.ts as string);
    expect(secondReply?.thread_ts).toBe(second.ts);
    const request = requests().at(-1)!;
    // Recalled memories aside (a user message of their own), the conversation as it went.
    const conversation = request.messages.filter((m) => !String(m.content).startsWith("What you remember"));
    expect(conversation.map((m) => [m.role, m.content])).toEqual([
      ["system", expect.stringContaining('the slack channel "DM with ada"')],
      ["user", "ada: my favourite colour is teal"],
      ["assistant", "Answer to: ada: my favourite colour is teal"],
      ["user", "ada: what is my favourite colour?"],
    ]);
  });
});
