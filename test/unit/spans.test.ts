import { context, propagation, SpanStatusCode, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LlmError } from "../../src/agents/llm/types.js";
import type { Bot, HandledMessage } from "../../src/core/bot.js";
import type { Poster } from "../../src/core/poster.js";
import { TracedToolExecutor, tracedBot, tracedLlm } from "../../src/wiring/spans.js";
import { openToolBench, type ToolBench, testTool, toolCall } from "../support/tools.js";

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let bench: ToolBench;

beforeAll(async () => {
  provider.register();
  bench = await openToolBench("spans");
});
beforeEach(() => exporter.reset());
afterAll(async () => {
  await bench.database.close();
  // Other files in this worker find the API as it was: no SDK.
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

const ended = () => exporter.getFinishedSpans();

describe("spans", () => {
  it("marks a failed model call with the error's kind, never its message", async () => {
    const llm = tracedLlm(
      {
        model: "m1",
        complete: () => Promise.reject(new LlmError("timeout", "the model at https://key@llm.example did not answer")),
      },
      "http://llm.example:8080/v1",
    );
    await expect(llm.complete({ messages: [{ role: "user", content: "hello there" }] })).rejects.toThrow(LlmError);
    const [span] = ended();
    expect(span?.name).toBe("chat m1");
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes).toMatchObject({ "error.type": "timeout", "server.address": "llm.example", "server.port": 8080 });
    expect(span?.status.message).toBeUndefined();
    expect(span?.events).toEqual([]);
    expect(JSON.stringify(span?.attributes)).not.toMatch(/hello there|did not answer/);
  });

  it("keeps a decided approval's span open until the turn that goes on has answered", async () => {
    let answer: (handled: HandledMessage) => void = () => undefined;
    const turn = new Promise<HandledMessage>((resolve) => (answer = resolve));
    const bot = tracedBot({
      decideApproval: async () => ({ status: "decided", outcome: {} as never, thread: "t1", turn }),
    } as unknown as Bot);
    const result = await bot.decideApproval({ platform: "web", id: "a1", approve: true, by: { id: "ann" } }, {} as Poster);
    expect(result.status).toBe("decided");
    expect(ended()).toEqual([]);
    answer({ thread: "t1", reply: { id: "r1", text: "Done." }, toolCalls: [], ok: true, llmMs: 0 });
    await turn;
    await new Promise((resolve) => setImmediate(resolve));
    const [span] = ended();
    expect(span?.name).toBe("invoke_agent assistant");
    expect(span?.attributes).toMatchObject({
      "quorum.approval.id": "a1",
      "quorum.approval.status": "decided",
      "quorum.approval.approved": true,
      "quorum.outcome": "ok",
      "gen_ai.conversation.id": "t1",
    });
  });

  it("nests a tool call's span in the active one and marks a failed call", async () => {
    const executor = new TracedToolExecutor(bench.database.db);
    const broken = testTool({ name: "broken", description: "Fails.", run: () => Promise.reject(new Error("no luck")) });
    await trace.getTracer("test").startActiveSpan("turn", async (turn) => {
      const outcome = await executor.execute(broken, toolCall("broken", {}), bench.context);
      expect(outcome.ok).toBe(false);
      turn.end();
    });
    const tool = ended().find((span) => span.name === "execute_tool broken");
    const parent = ended().find((span) => span.name === "turn");
    expect(tool?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
    expect(tool?.status.code).toBe(SpanStatusCode.ERROR);
    expect(tool?.attributes).toMatchObject({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "broken",
      "error.type": "tool_error",
      "quorum.outcome": "error",
    });
  });
});
