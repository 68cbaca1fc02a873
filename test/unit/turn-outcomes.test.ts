import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { type LocalBot, startLocalBot } from "../support/local-bot.js";
import { ScriptedLlm } from "../support/scripted-llm.js";

/** How a turn ends, and what the same delivery sent again gets: a failed turn runs again, a good one is not repeated. */
describe("turn outcomes and redelivery", () => {
  let bot: LocalBot | undefined;
  afterEach(async () => {
    await bot?.close();
    bot = undefined;
  });

  async function thread(b: LocalBot, conversationId: string) {
    return (await b.conversations.messages(conversationId)).map((m) => [m.role, m.content, m.error]);
  }

  it("runs a failed turn again when its message id comes again, and it succeeds", async () => {
    const llm = new ScriptedLlm().next({ error: "timeout", message: "The model did not answer in time." }).next("Second try worked.");
    bot = await startLocalBot({ llm });
    const failed = await bot.chat("outcomes", "what is up?", { id: "send-1" });
    expect(failed).toMatchObject({ ok: false });
    expect(failed!.reply.text).toContain("I could not answer");
    const done = bot.events.filter((e) => e.type === "message.done");
    expect(done).toEqual([expect.objectContaining({ messageId: failed!.reply.id, failed: true, error: "timeout" })]);

    const again = await bot.chat("outcomes", "what is up?", { id: "send-1" });
    expect(again).toMatchObject({ ok: true, thread: failed!.thread, reply: { text: "Second try worked." } });
    expect(again!.repeated).toBeUndefined();
    expect(llm.requests).toHaveLength(2);
    // The model saw the message once, not the failure.
    expect(llm.lastRequest().messages.filter((m) => m.role === "user")).toHaveLength(1);
    expect(await thread(bot, again!.conversationId)).toEqual([
      ["user", "what is up?", null],
      ["assistant", failed!.reply.text, "timeout"],
      ["assistant", "Second try worked.", null],
    ]);
    const last = bot.events.filter((e) => e.type === "message.done").at(-1);
    expect(last).toMatchObject({ messageId: again!.reply.id });
    expect(last).not.toHaveProperty("failed");
  });

  it("answers a successful message sent again with the same reply, without calling the model", async () => {
    const llm = new ScriptedLlm().next("Only once.");
    bot = await startLocalBot({ llm });
    const first = await bot.chat("outcomes", "hello", { id: "send-2" });
    const again = await bot.chat("outcomes", "hello", { id: "send-2" });
    expect(again).toMatchObject({ ok: true, repeated: true, thread: first!.thread, reply: first!.reply });
    expect(llm.requests).toHaveLength(1);
    expect(await thread(bot, first!.conversationId)).toHaveLength(2);
  });

  it("runs one turn for a duplicate that arrives while the first is running", async () => {
    const llm = new ScriptedLlm().next({ content: "Slow but single.", delayMs: 30 });
    bot = await startLocalBot({ llm });
    const [a, b] = await Promise.all([bot.chat("outcomes", "twice", { id: "send-3" }), bot.chat("outcomes", "twice", { id: "send-3" })]);
    expect(llm.requests).toHaveLength(1);
    expect(a!.reply).toEqual(b!.reply);
    expect([a!.repeated, b!.repeated].filter(Boolean)).toHaveLength(1);
    expect(await thread(bot, a!.conversationId)).toHaveLength(2);
  });

  it("runs again a delivery whose process died mid-turn, once its claim is stale", async () => {
    bot = await startLocalBot({ llm: new ScriptedLlm().next("Picked up.") });
    // Another process stored the message and died before answering.
    const channel = await bot.conversations.ensureChannel("web", "outcomes", "outcomes");
    await bot.conversations.receive({
      platform: "web",
      eventId: "send-4",
      channelId: channel.id,
      externalThreadId: "t-died",
      author: "ada",
      content: "are you there?",
    });
    // While its claim is fresh, the turn may still be running there.
    expect(await bot.chat("outcomes", "are you there?", { id: "send-4", thread: "t-died" })).toBeUndefined();
    await bot.database.db.execute(sql`update processed_events set claimed_at = now() - interval '2 minutes' where event_id = 'send-4'`);
    const taken = await bot.chat("outcomes", "are you there?", { id: "send-4", thread: "t-died" });
    expect(taken).toMatchObject({ ok: true, thread: "t-died", reply: { text: "Picked up." } });
    expect(await thread(bot, taken!.conversationId)).toEqual([
      ["user", "are you there?", null],
      ["assistant", "Picked up.", null],
    ]);
  });

  it("publishes message.done only once the reply is stored", async () => {
    bot = await startLocalBot({ llm: new ScriptedLlm().next("Stored first.") });
    const b = bot;
    const stored = new Set<string>();
    const addMessage = b.conversations.addMessage.bind(b.conversations);
    b.conversations.addMessage = async (message) => {
      await addMessage(message);
      if (message.id) stored.add(message.id);
    };
    const storedWhenDone: boolean[] = [];
    const push = b.events.push.bind(b.events);
    b.events.push = (...events) => {
      for (const event of events) if (event.type === "message.done") storedWhenDone.push(stored.has(event.messageId));
      return push(...events);
    };
    await b.chat("outcomes", "store then tell", { id: "send-5" });
    expect(storedWhenDone).toEqual([true]);
  });
});
