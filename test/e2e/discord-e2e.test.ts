import type { ChatCompletionRequest } from "@copilotkit/aimock";
import { GatewayOpcodes } from "discord-api-types/v10";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDiscordAdapter } from "../../src/adapters/discord/index.js";
import type { Bot } from "../../src/core/bot.js";
import { FAKE_DISCORD, type FakeDiscord, type FakeDiscordMessage, people, startFakeDiscord } from "../fakes/discord/index.js";
import { scriptLlm, type TestApp } from "../support/app.js";
import { type DiscordApp, startDiscordApp } from "../support/discord-app.js";
import { lastUserText } from "../support/scripted-llm.js";

const CHANNEL = FAKE_DISCORD.channelId;
const EDIT_ROUTE = "PATCH /channels/:channel/messages/:message";
const THREAD_ROUTE = "POST /channels/:channel/messages/:message/threads";

describe("Discord end to end (discord.js against a fake Discord on loopback)", () => {
  let discord: FakeDiscord;
  let t: TestApp;
  let app: DiscordApp | undefined;

  beforeAll(async () => {
    app = await startDiscordApp();
    ({ discord, t } = app);
  });
  afterAll(() => app?.stop());
  beforeEach(() => {
    discord.rest.reset();
    t.llm.mock.clearRequests();
    scriptLlm(t.llm, (request: ChatCompletionRequest) => ({ content: `Answer to: ${lastUserText(request)}.` }));
  });

  /**
   * The bot's messages in a channel or thread once there are `count` of them (or `done` says the
   * answer is all there) and none is a live "…" preview any more.
   */
  async function botReplies(
    channelId: string,
    count: number | ((replies: FakeDiscordMessage[]) => boolean) = 1,
  ): Promise<FakeDiscordMessage[]> {
    const done = typeof count === "number" ? (replies: FakeDiscordMessage[]) => replies.length >= count : count;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const replies = discord.botMessagesIn(channelId);
      const settled = done(replies) && replies.every((m) => !m.content.endsWith(" …") && (m.flags & 128) === 0);
      if (settled || Date.now() > deadline) return replies;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Lets anything that would (wrongly) happen after a dropped event happen. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 400));

  function mention(text: string) {
    return discord.sendMessage({ channel_id: CHANNEL, guild_id: FAKE_DISCORD.guildId, content: text, mentionBot: true });
  }

  it("registers its slash commands in the guild at start", () => {
    const names = discord.world.commandsIn(FAKE_DISCORD.guildId).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(["tools", "memory", "agent", "usage"]));
  });

  it("answers a mention in a thread started on that message, typing first while the model is slow", async () => {
    // A first word later than the poster's typing delay (half a second).
    t.llm.mock.clearFixtures();
    t.llm.mock.addFixture({
      match: { predicate: () => true },
      response: async (request: ChatCompletionRequest) => ({ content: `Answer to: ${lastUserText(request)}.` }),
      streamingProfile: { ttft: 1_500 },
    });
    const sent = mention("what is the plan?");
    const [reply] = await botReplies(sent.id);
    const thread = discord.world.channel(sent.id);
    expect(thread).toMatchObject({ kind: "thread", parent_id: CHANNEL, name: "what is the plan?" });
    expect(discord.world.messages.get(sent.id)?.thread_id).toBe(sent.id);
    expect(reply?.content).toBe("Answer to: Alice: what is the plan?.");
    // Nothing was written in the channel itself: the answer is in the thread.
    expect(discord.botMessagesIn(CHANNEL)).toHaveLength(0);
    const typing = discord.rest.callsTo("POST /channels/:channel/typing");
    expect(typing[0]?.params.channel).toBe(sent.id);
    expect(typing[0]!.at).toBeLessThanOrEqual(reply!.at);
  });

  it("continues a thread it started without a new mention, and ignores other messages", async () => {
    const sent = mention("start a thread");
    await botReplies(sent.id);
    discord.sendMessage({ channel_id: sent.id, guild_id: FAKE_DISCORD.guildId, content: "and then?" });
    const replies = await botReplies(sent.id, 2);
    expect(replies.map((r) => r.content)).toEqual(["Answer to: Alice: start a thread.", "Answer to: Alice: and then?."]);
    const prompt = t.llm.mock.getRequests().at(-1)!.body as ChatCompletionRequest;
    expect(prompt.messages.map((m) => m.content)).toEqual(expect.arrayContaining(["Alice: start a thread", "Alice: and then?"]));

    // A thread someone else started, and a channel message without a mention, are not for the bot.
    const other = discord.world.addThread({
      id: discord.sendMessage({ channel_id: CHANNEL, guild_id: FAKE_DISCORD.guildId, content: "a topic" }).id,
      name: "a topic",
      parent_id: CHANNEL,
      owner_id: people.bob.id,
    });
    discord.gateway.dispatch("THREAD_CREATE", { ...discord.world.threadPayload(other), newly_created: true });
    discord.sendMessage({ channel_id: other.id, guild_id: FAKE_DISCORD.guildId, content: "chatter in a stranger's thread" });
    discord.sendMessage({ channel_id: CHANNEL, guild_id: FAKE_DISCORD.guildId, content: "no mention here" });
    await settle();
    expect(t.llm.mock.getRequests()).toHaveLength(2);
    expect(discord.botMessagesIn(other.id)).toHaveLength(0);
  });

  it("answers a mention inside someone else's thread in that thread", async () => {
    const starter = discord.sendMessage({
      channel_id: CHANNEL,
      guild_id: FAKE_DISCORD.guildId,
      content: "bob's topic",
      author: people.bob,
    });
    const thread = discord.world.addThread({ id: starter.id, name: "bob's topic", parent_id: CHANNEL, owner_id: people.bob.id });
    discord.gateway.dispatch("THREAD_CREATE", { ...discord.world.threadPayload(thread), newly_created: true });
    discord.sendMessage({ channel_id: thread.id, guild_id: FAKE_DISCORD.guildId, content: "what do you think?", mentionBot: true });
    const [reply] = await botReplies(thread.id);
    expect(reply?.content).toBe("Answer to: Alice: what do you think?.");
    expect(discord.rest.callsTo("POST /channels/:channel/messages/:message/threads")).toHaveLength(0);
  });

  it("answers a DM in the DM", async () => {
    const dm = discord.world.dmChannelWith(people.bob);
    discord.sendMessage({ channel_id: dm.id, author: people.bob, content: "hello in private" });
    const [reply] = await botReplies(dm.id);
    expect(reply?.content).toBe("Answer to: Bob: hello in private.");
    expect(discord.rest.callsTo("POST /channels/:channel/messages/:message/threads")).toHaveLength(0);
  });

  it("does not answer another bot, even when it mentions the bot", async () => {
    const sent = discord.sendMessage({
      channel_id: CHANNEL,
      guild_id: FAKE_DISCORD.guildId,
      author: people.otherBot,
      content: "ping",
      mentionBot: true,
    });
    await settle();
    expect(t.llm.mock.getRequests()).toHaveLength(0);
    expect(discord.world.channel(sent.id)).toBeUndefined();
    expect(discord.rest.callsTo("POST /channels/:channel/messages")).toHaveLength(0);
  });

  it("defers each slash command, then edits the reply", async () => {
    const expectations: [string, RegExp][] = [
      ["tools", /calculator/],
      ["memory", /remember/i],
      ["agent", /Model: fake-model/],
      ["usage", /Model usage in #.* today \(UTC\)[\s\S]*Budget: none/],
    ];
    if (discord.world.commandsIn(FAKE_DISCORD.guildId).some((c) => c.name === "project")) expectations.push(["project", /project/i]);
    for (const [name, expected] of expectations) {
      const interaction = discord.sendCommand({ name });
      const edited = await discord.rest.waitFor(
        (call) => call.route === "PATCH /webhooks/:app/:token/messages/@original" && call.params.token === interaction.token,
      );
      const stored = discord.world.interactions.get(interaction.id)!;
      expect(stored.response).toMatchObject({ type: 5, data: { flags: 64 } });
      expect(stored.response!.at).toBeLessThanOrEqual(edited.at);
      const original = discord.world.messages.get(stored.originalMessageId!)!;
      expect(original.content, `/${name}`).toMatch(expected);
      expect(original.content).not.toMatch(/^I do not know/);
      expect(original.flags & 128).toBe(0); // no longer "thinking…"
      expect(original.ephemeral).toBe(true);
    }
  });

  it("answers a slash command used in a DM", async () => {
    const dm = discord.world.dmChannelWith(people.bob);
    const interaction = discord.sendCommand({ name: "agent", guild_id: null, channel_id: dm.id, user: people.bob });
    await discord.rest.waitFor(
      (call) => call.route === "PATCH /webhooks/:app/:token/messages/@original" && call.params.token === interaction.token,
    );
    const original = discord.world.messages.get(discord.world.interactions.get(interaction.id)!.originalMessageId!)!;
    expect(original.channel_id).toBe(dm.id);
    expect(original.content).toMatch(/Model: fake-model/);
  });

  it("passes a slash command's option as its text", async () => {
    const interaction = discord.sendCommand({ name: "tools", options: { request: "describe calculator" } });
    await discord.rest.waitFor(
      (call) => call.route === "PATCH /webhooks/:app/:token/messages/@original" && call.params.token === interaction.token,
    );
    const original = discord.world.messages.get(discord.world.interactions.get(interaction.id)!.originalMessageId!)!;
    expect(original.content).toMatch(/^\*calculator\* \(/);
    expect(original.content).toContain("Parameters:");
  });

  it("splits a 5,000-character answer with a code block into messages with intact fences", async () => {
    const code = Array.from({ length: 90 }, (_, i) => `  step${i} = run(step${i - 1}, "configuration value ${i}")`).join("\n");
    const answer = `Here is the plan.\n\n${"Some context about the plan. ".repeat(40)}\n\n\`\`\`python\n${code}\n\`\`\`\n\nDone.`;
    expect(answer.length).toBeGreaterThan(5_000);
    scriptLlm(t.llm, () => ({ content: answer }));
    const sent = mention("write the migration");
    const replies = await botReplies(sent.id, (all) => all.at(-1)?.content.trim().endsWith("Done.") === true);
    expect(replies.length).toBeGreaterThanOrEqual(3);
    for (const reply of replies) {
      expect(reply.content.length).toBeLessThanOrEqual(2_000);
      expect((reply.content.match(/```/g) ?? []).length % 2).toBe(0);
    }
    const all = replies.map((reply) => reply.content).join("\n");
    for (const i of [0, 45, 89]) expect(all).toContain(`step${i} = run(`);
    expect(replies.at(-1)!.content.trim().endsWith("Done.")).toBe(true);
    expect(replies.slice(1).some((reply) => reply.content.startsWith("```python"))).toBe(true);
  });

  it("streams into one message edited at most once per second", async () => {
    const long = Array.from({ length: 30 }, (_, i) => `Point ${i} of the answer.`).join(" ");
    t.llm.mock.clearFixtures();
    t.llm.mock.addFixture({
      match: { predicate: () => true },
      response: { content: long },
      chunkSize: 12,
      streamingProfile: { ttft: 0, tps: 20 },
    });
    const sent = mention("take it slowly");
    const [reply, extra] = await botReplies(sent.id);
    expect(extra).toBeUndefined();
    expect(reply?.content).toBe(long);
    expect(reply!.edits.length).toBeGreaterThan(1);
    // Live text is marked unfinished; the last edit is the whole answer.
    expect(reply!.edits[0]!.content.endsWith(" …")).toBe(true);
    // Live writes keep a second apart; the final text (the last edit) does not wait for its turn.
    const writes = [reply!.at, ...reply!.edits.slice(0, -1).map((edit) => edit.at)];
    for (let i = 1; i < writes.length; i++) expect(writes[i]! - writes[i - 1]!).toBeGreaterThanOrEqual(990);
  });

  it("asks the model while a 429 holds the thread's creation, and answers in the thread once it exists", async () => {
    discord.rest.rateLimit(THREAD_ROUTE, { retryAfter: 1 });
    const sent = mention("a busy channel");
    const [reply] = await botReplies(sent.id);
    expect(reply?.content).toBe("Answer to: Alice: a busy channel.");
    const creations = discord.rest.callsTo(THREAD_ROUTE);
    expect(creations.map((call) => [call.status, call.params.message])).toEqual([
      [429, sent.id],
      [201, sent.id],
    ]);
    // The model was asked during the wait; nothing was written into the thread before it existed.
    expect(t.llm.mock.getRequests()[0]!.timestamp).toBeLessThan(creations[1]!.at);
    const intoThread = discord.rest.calls.filter((call) => call.path.startsWith(`/channels/${sent.id}/`));
    expect(intoThread.length).toBeGreaterThan(0);
    for (const call of intoThread) expect(discord.rest.calls.indexOf(call)).toBeGreaterThan(discord.rest.calls.indexOf(creations[1]!));
  });

  it("keeps a burst of mentions, their threads' creation included, within Discord's 50 requests a second", async () => {
    const sent = Array.from({ length: 110 }, (_, i) => mention(`burst ${i}`));
    for (const [i, message] of sent.entries()) expect((await botReplies(message.id))[0]?.content).toBe(`Answer to: Alice: burst ${i}.`);
    const writes = discord.rest.calls.filter((call) => !call.path.startsWith("/interactions/") && !call.path.startsWith("/webhooks/"));
    expect(writes.length).toBeGreaterThanOrEqual(220);
    // discord.js grants one REST instance 50 requests per window, each window starting at least a
    // second after the one before. 201 requests span five windows or more, so the 201st starts at
    // least three seconds after the window that follows the first one's. With a second instance
    // for the threads (discord.js's client's own), it came after about two.
    expect(writes[200]!.at - writes[0]!.at).toBeGreaterThanOrEqual(2_600);
  });

  it("waits out a 429 on a message edit for its retry_after, then edits", async () => {
    // In pieces 20 ms apart: a live message is posted, then edited into the final answer.
    t.llm.mock.clearFixtures();
    t.llm.mock.addFixture({
      match: { predicate: () => true },
      response: async (request: ChatCompletionRequest) => ({ content: `Answer to: ${lastUserText(request)}.` }),
      chunkSize: 8,
      streamingProfile: { ttft: 0, tps: 50 },
    });
    discord.rest.rateLimit(EDIT_ROUTE, { retryAfter: 1 });
    const sent = mention("rate limits");
    const [reply] = await botReplies(sent.id);
    expect(reply?.content).toBe("Answer to: Alice: rate limits.");
    const edits = discord.rest.callsTo(EDIT_ROUTE);
    // The limited edit is sent again once retry_after has passed, and the answer is still published.
    expect(edits[0]?.status).toBe(429);
    expect(edits[1]?.status).toBe(200);
    expect(edits[1]!.body).toEqual(edits[0]!.body);
    expect(edits[1]!.at - edits[0]!.at).toBeGreaterThanOrEqual(1_000);
  });

  it("turns an LLM failure into a short visible warning", async () => {
    t.llm.mock.nextRequestError(500, { message: "boom", type: "server_error" });
    const sent = mention("fail please");
    const [reply] = await botReplies(sent.id);
    expect(reply?.content).toMatch(/^⚠️ I could not answer/);
    expect(reply!.content.length).toBeLessThan(300);
  });

  it("answers a MESSAGE_CREATE delivered twice once, also after a restart", async () => {
    const sent = mention("only once");
    await botReplies(sent.id);
    discord.gateway.dispatch("MESSAGE_CREATE", sent);
    // A new process has an empty message cache: only the durable record stops the second delivery.
    const commands = discord.world.commandsIn(FAKE_DISCORD.guildId);
    await t.restart();
    // Registering again at start is idempotent: the same commands, ids and versions.
    expect(discord.world.commandsIn(FAKE_DISCORD.guildId)).toEqual(commands);
    expect(discord.rest.callsTo("PUT /applications/:app/guilds/:guild/commands")).toHaveLength(1);
    discord.gateway.dispatch("MESSAGE_CREATE", sent);
    await settle();
    expect(discord.botMessagesIn(sent.id)).toHaveLength(1);
    expect(t.llm.mock.getRequests()).toHaveLength(1);
    // The restarted bot still answers new mentions.
    const next = mention("after the restart");
    expect((await botReplies(next.id))[0]?.content).toBe("Answer to: Alice: after the restart.");
  });

  it("resumes after a resumable close, answers what it missed once, and keeps serving", async () => {
    const identifies = discord.gateway.received.filter((p) => p.op === GatewayOpcodes.Identify).length;
    const session = discord.gateway.connections.at(-1)?.sessionId;
    const closedAt = Date.now();
    discord.gateway.closeConnections(4000, "Unknown error");
    // Sent while the connection is down: Discord keeps it for the session and replays it on RESUME.
    const missed = mention("sent during the outage");
    const resume = await discord.gateway.waitForOp(GatewayOpcodes.Resume, (p) => p.at >= closedAt, 10_000);
    expect(discord.gateway.connections[resume.connection]?.path).toBe("/resume");
    expect(resume.d).toMatchObject({ session_id: session, token: FAKE_DISCORD.token, seq: expect.any(Number) });
    const [missedReply] = await botReplies(missed.id);
    expect(missedReply?.content).toBe("Answer to: Alice: sent during the outage.");

    const next = mention("after the resume");
    const [reply] = await botReplies(next.id);
    expect(reply?.content).toBe("Answer to: Alice: after the resume.");
    expect(discord.gateway.received.filter((p) => p.op === GatewayOpcodes.Identify)).toHaveLength(identifies);
    await settle();
    expect(discord.botMessagesIn(missed.id)).toHaveLength(1);
  });

  it("identifies again after a session is invalidated, and keeps serving", async () => {
    const invalidatedAt = Date.now();
    discord.gateway.invalidateSession(false);
    const identify = await discord.gateway.waitForOp(GatewayOpcodes.Identify, (p) => p.at >= invalidatedAt, 10_000);
    expect(discord.gateway.connections[identify.connection]?.path).toBe("/gateway");
    const sent = mention("after a new session");
    const [reply] = await botReplies(sent.id);
    expect(reply?.content).toBe("Answer to: Alice: after a new session.");
  });
});

describe("Discord without the MessageContent intent enabled in the developer portal", () => {
  it("refuses to start with a message that says what to switch on", async () => {
    const discord = await startFakeDiscord({ allowedPrivilegedIntents: 0 });
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
    // Start-up never reaches the bot; it only has to exist.
    const bot: Bot = {
      handleMessage: async () => undefined,
      handleCommand: async () => ({ text: "" }),
      decideApproval: async () => ({ status: "unknown" }),
      knowsThread: async () => false,
      stopTurn: () => false,
    };
    const env = discord.env();
    const adapter = createDiscordAdapter(
      {
        token: env.DISCORD_TOKEN,
        applicationId: env.DISCORD_APPLICATION_ID,
        guildId: env.DISCORD_GUILD_ID,
        apiUrl: env.DISCORD_API_URL,
        shardCount: 1,
      },
      bot,
      log,
    );
    try {
      await expect(adapter.connect(0, 1)).rejects.toThrow(/enable the MessageContent intent in the Discord Developer Portal/);
      expect(discord.gateway.connections[0]?.closeCode).toBe(4014);
      expect(lines.join("")).not.toContain("Discord connected");
    } finally {
      await adapter.stop();
      await discord.stop();
    }
  });
});
