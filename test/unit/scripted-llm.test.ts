import { describe, expect, it } from "vitest";
import { type ChatMessage, LlmError } from "../../src/agents/llm/types.js";
import { ScriptedLlm } from "../support/scripted-llm.js";

const ask = (text: string): ChatMessage[] => [{ role: "user", content: text }];

/** The test double itself: what the unit tests of the assistant and the team rely on. */
describe("the scripted model", () => {
  it("plays its turns in order, then `always`, streaming text in pieces and recording each request", async () => {
    const llm = new ScriptedLlm()
      .next("Hello there, how can I help?", { toolCalls: [{ name: "calculator", arguments: { expression: "1+1" } }] })
      .always((request, call) => ({
        content: `call ${call}: ${request.messages.length} messages`,
        usage: { promptTokens: 3, completionTokens: 2 },
      }));
    const pieces: string[] = [];
    const messages = ask("hi");
    const first = await llm.complete({ messages, onDelta: (text) => pieces.push(text) });
    messages.push({ role: "assistant", content: "changed afterwards" });
    expect(first).toEqual({ content: "Hello there, how can I help?", toolCalls: [], finishReason: "stop" });
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe(first.content);

    const second = await llm.complete({ messages: ask("add") });
    expect(second).toMatchObject({ content: "", finishReason: "tool_calls" });
    expect(second.toolCalls).toEqual([{ id: expect.any(String), name: "calculator", arguments: '{"expression":"1+1"}' }]);

    expect(await llm.complete({ messages: ask("again") })).toMatchObject({
      content: "call 2: 1 messages",
      usage: { promptTokens: 3, completionTokens: 2 },
    });
    expect(llm.requests.map((request) => request.messages)).toEqual([ask("hi"), ask("add"), ask("again")]);
  });

  it("fails as told, and says so when the script has run out", async () => {
    const llm = new ScriptedLlm().next({ error: "rate_limited" }, { error: new Error("boom") });
    await expect(llm.complete({ messages: ask("one") })).rejects.toMatchObject({ name: "LlmError", kind: "rate_limited" });
    await expect(llm.complete({ messages: ask("two") })).rejects.toThrow("boom");
    await expect(llm.complete({ messages: ask("three") })).rejects.toThrow(/no turn for call 2 \(last user message: three\)/);
  });

  it("stops with an aborted LlmError when the caller's signal fires, mid-stream or while its turn thinks", async () => {
    const streaming = new ScriptedLlm().next({ content: "one two three four five", chunkSize: 4, delayMs: 20 });
    const controller = new AbortController();
    const pieces: string[] = [];
    const cut = streaming.complete({
      messages: ask("slow"),
      signal: controller.signal,
      onDelta: (text) => {
        pieces.push(text);
        controller.abort();
      },
    });
    await expect(cut).rejects.toSatisfy((error) => error instanceof LlmError && error.kind === "aborted");
    expect(pieces).toEqual(["one "]);

    const thinking = new ScriptedLlm().always(() => new Promise(() => undefined));
    await expect(thinking.complete({ messages: ask("never"), signal: AbortSignal.timeout(20) })).rejects.toMatchObject({ kind: "aborted" });
    await expect(thinking.complete({ messages: ask("late"), signal: AbortSignal.abort() })).rejects.toMatchObject({ kind: "aborted" });
  });
});
