import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalStore } from "../../src/agents/approvals/approval-store.js";
import { EnhancedAssistant } from "../../src/agents/assistant/enhanced-assistant.js";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import { MemoryStore } from "../../src/agents/memory/store.js";
import { Background } from "../../src/core/background.js";
import type { ReplyStream } from "../../src/core/poster.js";
import type { Database } from "../../src/db/client.js";
import { memoryTools } from "../../src/tools/builtin/memory.js";
import { ToolExecutor } from "../../src/tools/executor.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { createLogger } from "../../src/wiring/log.js";
import { scratchPglite } from "../support/databases.js";
import { lastUserText, ScriptedLlm } from "../support/scripted-llm.js";

describe("a turn whose user message cannot be made durable", () => {
  let database: Database;
  beforeAll(async () => {
    database = await scratchPglite();
  });
  afterAll(async () => {
    await database?.close();
  });

  it("stops, and fails with that error, storing and showing none of its answer, only that it failed", async () => {
    // The flush fails while the model works on the tool's result (a connection lost, a full disk).
    let failFlush: (error: Error) => void = () => undefined;
    const flush = () => new Promise<void>((_, reject) => (failFlush = reject));
    const conversations = new ConversationStore(database.db, { flush });
    const memory = new MemoryStore(database.db, { capacity: 100 });
    const log = createLogger("silent");
    const background = new Background(log);
    const llm = new ScriptedLlm({
      always: async (request) => {
        if (!request.messages.some((message) => message.role === "tool"))
          return { toolCalls: [{ name: "remember", arguments: JSON.stringify({ fact: "The release codename is Bluefin" }) }] };
        failFlush(new Error("the disk is gone"));
        await sleep(300);
        return { content: `Noted: ${lastUserText(request)}` };
      },
    });
    const channel = await conversations.ensureChannel("web", "unflushed", "unflushed");
    const assistant = new EnhancedAssistant(channel, {
      llm,
      memory,
      conversations,
      tools: new ToolRegistry(memoryTools(memory)),
      executor: new ToolExecutor(database.db),
      settings: { model: llm.model, maxSteps: 8, contextTokenBudget: 4_000, approval: "external" },
      approvals: new ApprovalStore(database.db),
      background,
      log,
    });
    const text = "the codename is Bluefin";
    const received = await conversations.receive({
      platform: "web",
      eventId: "e-1",
      channelId: channel.id,
      externalThreadId: "t-1",
      author: "ada",
      content: text,
    });
    const shown: unknown[] = [];
    const stream: ReplyStream = {
      append: (delta) => void shown.push(delta),
      finish: async (final, failure) => {
        shown.push({ final, failure });
        return { id: "shown" };
      },
    };

    const turn = {
      conversationId: received!.conversationId,
      replyId: "reply-1",
      author: { id: "ada" },
      text,
      userSeq: received!.seq,
      opened: received!.opened,
    };
    await expect(
      assistant.answer(turn, {
        to: { platform: "web", channel: "unflushed", thread: "t-1" },
        stream,
        askApproval: async () => ({ id: "prompt" }),
      }),
    ).rejects.toThrow("the disk is gone");
    await background.drain();
    expect(shown).toEqual([
      {
        final: "⚠️ I could not answer: something went wrong on my side (an internal error). Please try again in a moment.",
        failure: { error: "internal", unstored: true },
      },
    ]);
    expect((await conversations.messages(received!.conversationId)).map((message) => message.role)).toEqual(["user"]);
    expect((await memory.list(channel.id)).map((record) => record.kind)).toEqual(["semantic"]);
  });
});

describe("a tool call the executor cannot run (its rate limits' store is down)", () => {
  let database: Database;
  beforeAll(async () => {
    database = await scratchPglite();
  });
  afterAll(async () => {
    await database?.close();
  });

  it("is a failed result the model answers around, not a failed turn", async () => {
    const conversations = new ConversationStore(database.db);
    const memory = new MemoryStore(database.db, { capacity: 100 });
    const log = createLogger("silent");
    const llm = new ScriptedLlm()
      .next({ toolCalls: [{ name: "remember", arguments: JSON.stringify({ fact: "x" }) }] })
      .next((request) => ({ content: `Saw: ${request.messages.findLast((message) => message.role === "tool")?.content}` }));
    const channel = await conversations.ensureChannel("web", "no-limits", "no-limits");
    const executor = { execute: () => Promise.reject(new Error("redis is down")) } as unknown as ToolExecutor;
    const assistant = new EnhancedAssistant(channel, {
      llm,
      memory,
      conversations,
      tools: new ToolRegistry(memoryTools(memory)),
      executor,
      settings: { model: llm.model, maxSteps: 8, contextTokenBudget: 4_000, approval: "external" },
      approvals: new ApprovalStore(database.db),
      background: new Background(log),
      log,
    });
    const received = await conversations.receive({
      platform: "web",
      eventId: "e-2",
      channelId: channel.id,
      externalThreadId: "t-2",
      author: "ada",
      content: "remember x",
    });
    const result = await assistant.answer(
      { conversationId: received!.conversationId, replyId: "reply-2", author: { id: "ada" }, text: "remember x", userSeq: received!.seq },
      {
        to: { platform: "web", channel: "no-limits", thread: "t-2" },
        stream: { append: () => undefined, finish: async () => ({ id: "shown" }) },
        askApproval: async () => ({ id: "prompt" }),
      },
    );
    expect(result).toMatchObject({ ok: true, toolCalls: [{ name: "remember", ok: false }] });
    expect(result.reply.text).toContain("remember could not run (an internal error)");
    expect(result.reply.text).not.toContain("redis");
  });
});
