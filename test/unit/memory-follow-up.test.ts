import { afterEach, describe, expect, it } from "vitest";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import type { CompletionRequest } from "../../src/agents/llm/types.js";
import { MemoryStore } from "../../src/agents/memory/store.js";
import { scratchPglite } from "../support/databases.js";
import { type LocalBot, startLocalBot } from "../support/local-bot.js";
import { lastUserText, ScriptedLlm } from "../support/scripted-llm.js";

/** What the model was shown of the channel's memory, in the request that answered `question`. */
function memoriesShown(llm: ScriptedLlm, question: string): string {
  const request = llm.requests.findLast((r: CompletionRequest) => lastUserText(r).includes(question));
  return (request?.messages ?? [])
    .filter((message) => message.role === "user" && message.content.includes("<memory"))
    .map((message) => message.content)
    .join("\n");
}

/**
 * A turn's memories are there for the next message of the channel, also in another thread and
 * right after the answer: the episodic record of the turn (written after the reply) and what the
 * remember tool stored during it.
 */
describe("a quick follow-up in another thread", () => {
  let bot: LocalBot | undefined;
  afterEach(async () => {
    await bot?.close();
    bot = undefined;
  });

  it("recalls what the turn before it was told, from the record written after its answer", async () => {
    const llm = new ScriptedLlm({ always: (request) => `Noted: ${lastUserText(request)}` });
    bot = await startLocalBot({ llm });
    for (let round = 0; round < 5; round++) {
      const fact = `the release codename of round ${round} is Bluefin${round}`;
      const taught = await bot.chat("follow-ups", fact);
      expect(taught).toMatchObject({ ok: true });
      // At once, in a thread of its own.
      const question = `which release codename has round ${round}?`;
      const asked = await bot.chat("follow-ups", question);
      expect(asked!.thread).not.toBe(taught!.thread);
      expect(memoriesShown(llm, question)).toContain(`Bluefin${round}`);
    }
  });

  it("recalls what the remember tool stored in the turn before it", async () => {
    const llm = new ScriptedLlm({
      always: (request) => {
        const text = lastUserText(request);
        const fact = /deploy day is (\w+)/.exec(text);
        if (fact && !request.messages.some((message) => message.role === "tool"))
          return { toolCalls: [{ name: "remember", arguments: { fact: `Deploys happen on ${fact[1]}` } }] };
        return "Noted.";
      },
    });
    bot = await startLocalBot({ llm });
    await bot.chat("follow-ups", "our deploy day is Thursday");
    const question = "when do deploys happen?";
    await bot.chat("follow-ups", question);
    expect(memoriesShown(llm, question)).toContain("Deploys happen on Thursday");
  });
});

describe("a held channel memory", () => {
  it("makes recall in that channel wait for the write, and no other channel", async () => {
    const database = await scratchPglite();
    try {
      const memory = new MemoryStore(database.db, { capacity: 100 });
      const conversations = new ConversationStore(database.db);
      const [held, other] = [
        await conversations.ensureChannel("web", "held", "held"),
        await conversations.ensureChannel("web", "other", "other"),
      ];
      const release = memory.hold(held.id);
      const waiting = memory.recall({ channelId: held.id, query: "codename", limit: 5 });
      // Another channel's recall goes ahead while this one waits.
      expect(await memory.recall({ channelId: other.id, query: "codename", limit: 5 })).toEqual([]);
      await memory.remember({ channelId: held.id, kind: "episodic", content: "The codename is Bluefin" });
      release();
      expect((await waiting).map((record) => record.content)).toEqual(["The codename is Bluefin"]);
    } finally {
      await database.close();
    }
  });
});
