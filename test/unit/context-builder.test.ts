import { describe, expect, it } from "vitest";
import { buildContext, type HistoryMessage } from "../../src/agents/assistant/context-builder.js";
import { countTokens, messageTokens } from "../../src/agents/assistant/tokens.js";
import type { MemoryRecord } from "../../src/agents/memory/types.js";

const turn = (i: number): HistoryMessage[] => {
  const user = `Question ${i}: how should we handle the deployment of service number ${i} next week?`;
  const assistant = `Answer ${i}: roll it out gradually, watch the error rate, and keep the previous version ready to restore.`;
  return [
    { role: "user", author: "ada", content: user, tokens: messageTokens(user) },
    { role: "assistant", author: "assistant", content: assistant, tokens: messageTokens(assistant) },
  ];
};

const memory = (id: number, content: string): MemoryRecord => ({
  id,
  kind: "semantic",
  content,
  author: "ada",
  importance: 0.8,
  accessCount: 0,
  createdAt: new Date(),
  lastAccessedAt: new Date(),
  conversationId: null,
});

describe("context builder", () => {
  it("keeps the prompt flat once a thread outgrows the budget, dropping the oldest turns", () => {
    const budget = 1_000;
    const sizes: number[] = [];
    let thread: HistoryMessage[] = [];
    for (let i = 1; i <= 200; i++) {
      thread = [...turn(i).reverse(), ...thread];
      const built = buildContext({ systemPrompt: "You are a helpful assistant.", memories: [], history: thread, budget });
      sizes.push(built.tokens);
      const real = built.messages.reduce((sum, message) => sum + messageTokens(message.content), 0);
      expect(real).toBeLessThanOrEqual(budget + 60);
      expect(built.messages.at(-1)?.content).toContain(`Answer ${i}:`);
    }
    const late = sizes.slice(50);
    expect(Math.max(...late) - Math.min(...late)).toBeLessThan(60);
    const last = buildContext({ systemPrompt: "s", memories: [], history: thread, budget });
    expect(last.droppedMessages).toBeGreaterThan(300);
    expect(last.messages.some((message) => message.content.includes("Question 1:"))).toBe(false);
  });

  it("puts recalled memories in the system prompt within their share of the budget", () => {
    const memories = Array.from({ length: 100 }, (_, i) =>
      memory(i + 1, `Fact ${i}: the staging database is refreshed every Monday at 06:00 UTC.`),
    );
    const built = buildContext({ systemPrompt: "Base prompt.", memories, history: turn(1).reverse(), budget: 800 });
    const system = built.messages[0]!.content;
    expect(system).toContain("(#1, semantic) Fact 0");
    expect(countTokens(system)).toBeLessThanOrEqual(800 * 0.25 + 40);
    expect(system).not.toContain("Fact 99");
  });

  it("always includes the message being answered, even over budget", () => {
    const long = "word ".repeat(3_000);
    const built = buildContext({
      systemPrompt: "s",
      memories: [],
      history: [{ role: "user", author: "ada", content: long, tokens: messageTokens(long) }],
      budget: 100,
    });
    expect(built.messages).toHaveLength(2);
  });
});
