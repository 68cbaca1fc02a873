import { afterEach, describe, expect, it } from "vitest";
import { failureSentence, ToolFailedError } from "../../src/agents/assistant/turn-failure.js";
import { LlmError, type LlmErrorKind } from "../../src/agents/llm/types.js";
import { ShuttingDownError } from "../../src/core/bot.js";
import type { Poster, ReplyFailure } from "../../src/core/poster.js";
import type { ThreadRef } from "../../src/core/thread.js";
import { type LocalBot, startLocalBot } from "../support/local-bot.js";
import { ScriptedLlm } from "../support/scripted-llm.js";
import { testTool } from "../support/tools.js";

const KEY = "sk-live-0123456789abcdef";

/** What a chat platform's thread shows: every finished reply, with how it failed. */
interface Shown {
  thread: string;
  text: string;
  failure?: ReplyFailure;
}

/** A poster for a chat platform (Slack, Discord) that records what each stream finishes with; `refuse` makes the next finishes throw. */
function chatPoster() {
  const shown: Shown[] = [];
  let refusals = 0;
  const poster = {
    stream: (to: ThreadRef) => ({
      append: () => undefined,
      finish: async (text: string, failure?: ReplyFailure) => {
        if (refusals > 0) {
          refusals--;
          throw new Error("the platform refused the message");
        }
        shown.push({ thread: to.thread, text, ...(failure && { failure }) });
        return { id: `m${shown.length}` };
      },
    }),
  } as unknown as Poster;
  const refuse = (times = 1) => {
    refusals = times;
  };
  return { poster, shown, refuse };
}

describe("the sentence of a failed turn", () => {
  it("says what kind of failure it was in one short sentence, never in the provider's words", () => {
    const leaky = `Incorrect API key ${KEY} for https://api.example.com/v1?key=${KEY}`;
    const kinds: LlmErrorKind[] = ["timeout", "rate_limited", "server", "auth", "bad_request", "bad_response", "aborted"];
    for (const kind of kinds) {
      const sentence = failureSentence(new LlmError(kind, leaky));
      expect(sentence).toMatch(/^⚠️ I could not answer: /);
      expect(sentence).not.toContain(KEY);
      expect(sentence).not.toContain("http");
      expect(sentence.length).toBeLessThan(160);
    }
    expect(failureSentence(new LlmError("timeout", leaky))).toContain("timed out");
    expect(failureSentence(new LlmError("rate_limited", leaky))).toContain("rate-limiting");
    expect(failureSentence(new LlmError("server", leaky))).toContain("unreachable");
    expect(failureSentence(new ToolFailedError("weather"))).toContain("the weather tool failed");
    expect(failureSentence(new Error(`connect to postgres://bot:${KEY}@db failed`))).toBe(
      "⚠️ I could not answer: something went wrong on my side (an internal error). Please try again in a moment.",
    );
    expect(failureSentence(new ShuttingDownError("stopping"))).toContain("restarting");
  });
});

describe("a failed turn on a chat platform", () => {
  let bot: LocalBot | undefined;
  afterEach(async () => {
    await bot?.close();
    bot = undefined;
  });

  const slack = (text: string, eventId: string, thread = "1700000000.000100") =>
    ({ platform: "slack", eventId, channel: "C1", thread, author: { id: "U1", name: "ada" }, text, receivedAt: new Date() }) as const;

  it("stores and shows the sentence when the model fails, and the same event delivered again runs again", async () => {
    bot = await startLocalBot({ llm: new ScriptedLlm().next({ error: "rate_limited", message: `slow down ${KEY}` }).next("Real answer.") });
    const { poster, shown } = chatPoster();
    const failed = await bot.router.handleMessage(slack("hello", "C1:1"), poster);
    expect(failed).toMatchObject({ ok: false });
    const again = await bot.router.handleMessage(slack("hello", "C1:1"), poster);
    expect(again).toMatchObject({ ok: true, reply: { text: "Real answer." } });
    expect(shown).toEqual([
      { thread: "1700000000.000100", text: expect.stringContaining("rate-limiting me"), failure: { error: "rate_limited" } },
      { thread: "1700000000.000100", text: "Real answer." },
    ]);
  });

  it("says it in the thread when the turn throws before its reply is stored, and runs it again when redelivered", async () => {
    bot = await startLocalBot({ llm: new ScriptedLlm().next("Lost answer.").next("Second answer.") });
    const b = bot;
    const addMessage = b.conversations.addMessage.bind(b.conversations);
    let down = true;
    b.conversations.addMessage = async (message) => {
      if (down) throw new Error(`connection to postgres://bot:${KEY}@db lost`);
      return addMessage(message);
    };
    const { poster, shown } = chatPoster();
    await expect(b.router.handleMessage(slack("are you there?", "C1:2"), poster)).rejects.toThrow("connection to");
    expect(shown).toEqual([
      {
        thread: "1700000000.000100",
        text: "⚠️ I could not answer: something went wrong on my side (an internal error). Please try again in a moment.",
        failure: { error: "internal", unstored: true },
      },
    ]);
    down = false;
    const again = await b.router.handleMessage(slack("are you there?", "C1:2"), poster);
    expect(again).toMatchObject({ ok: true, reply: { text: "Second answer." } });
    expect(shown.map((s) => s.text)).toEqual([expect.stringContaining("internal error"), "Second answer."]);
  });

  it("says it once when the platform refuses the answer, in a message of its own", async () => {
    bot = await startLocalBot({ llm: new ScriptedLlm().next("Refused answer.").next("Shown answer.") });
    const { poster, shown, refuse } = chatPoster();
    refuse();
    await expect(bot.router.handleMessage(slack("post it", "C1:3"), poster)).rejects.toThrow("refused");
    expect(shown).toEqual([{ thread: "1700000000.000100", text: expect.stringContaining("internal error"), failure: expect.anything() }]);
    // Stored but never shown: the delivery is failed, and runs again.
    expect(await bot.router.handleMessage(slack("post it", "C1:3"), poster)).toMatchObject({ reply: { text: "Shown answer." } });
  });

  it("says it when the message cannot even be received", async () => {
    bot = await startLocalBot();
    bot.conversations.receive = () => Promise.reject(new Error("the database is gone"));
    const { poster, shown } = chatPoster();
    await expect(bot.router.handleMessage(slack("hello?", "C1:4"), poster)).rejects.toThrow("the database is gone");
    expect(shown).toEqual([{ thread: "1700000000.000100", text: expect.stringContaining("internal error"), failure: expect.anything() }]);
  });

  it("tells a message that arrives while the bot stops to send it again", async () => {
    bot = await startLocalBot();
    await bot.router.drain();
    const { poster, shown } = chatPoster();
    await expect(bot.router.handleMessage(slack("late", "C1:5"), poster)).rejects.toThrow(ShuttingDownError);
    expect(shown.map((s) => s.text)).toEqual(["⚠️ I could not answer: I am restarting. Please send your message again in a moment."]);
  });

  it("fails a turn whose model has no answer after a tool failed, and runs it again when redelivered", async () => {
    const flaky = testTool({
      name: "flaky",
      description: "Fails.",
      run: () => {
        throw new Error(`upstream said ${KEY}`);
      },
    });
    const llm = new ScriptedLlm().next({ toolCalls: [{ name: "flaky" }] }, "", "It works now.");
    bot = await startLocalBot({ llm, tools: [flaky] });
    const { poster, shown } = chatPoster();
    const failed = await bot.router.handleMessage(slack("use flaky", "C1:6"), poster);
    expect(failed).toMatchObject({ ok: false, toolCalls: [{ name: "flaky", ok: false }] });
    expect(shown).toEqual([
      {
        thread: "1700000000.000100",
        text: "⚠️ I could not answer: the flaky tool failed. Please try again in a moment.",
        failure: { error: "tool" },
      },
    ]);
    const messages = await bot.conversations.messages(failed!.conversationId);
    expect(messages.at(-1)).toMatchObject({ role: "assistant", error: "tool" });
    expect(await bot.router.handleMessage(slack("use flaky", "C1:6"), poster)).toMatchObject({
      ok: true,
      reply: { text: "It works now." },
    });
  });

  it("lets the model answer around a failed tool when it can", async () => {
    const flaky = testTool({ name: "flaky", description: "Fails.", run: () => Promise.reject(new Error("down")) });
    const llm = new ScriptedLlm().next({ toolCalls: [{ name: "flaky" }] }, "The flaky tool is down, so I cannot check.");
    bot = await startLocalBot({ llm, tools: [flaky] });
    const { poster, shown } = chatPoster();
    expect(await bot.router.handleMessage(slack("use flaky", "C1:7"), poster)).toMatchObject({ ok: true });
    expect(shown).toEqual([{ thread: "1700000000.000100", text: "The flaky tool is down, so I cannot check." }]);
  });
});
