import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLlmClient } from "../../src/agents/llm/index.js";
import { createOpenAiClient } from "../../src/agents/llm/openai-client.js";
import { type ChatMessage, type LlmClient, LlmError, type ToolSpec } from "../../src/agents/llm/types.js";
import { type FakeLlm, fakeApiKey, startFakeLlm } from "../fakes/llm.js";
import { chunk, type RawLlmServer, type RawReply, type RawRequest, startRawLlmServer } from "../fakes/raw-llm-server.js";

const weatherTool: ToolSpec = {
  name: "get_weather",
  description: "Current weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

const ask = (text: string): ChatMessage[] => [
  { role: "system", content: "You are terse." },
  { role: "user", content: text, name: "Ada Lovelace" },
];

/** Runs the call and returns the LlmError it must fail with. */
async function failure(promise: Promise<unknown>): Promise<LlmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LlmError);
  return error as LlmError;
}

let fake: FakeLlm;
const rawServers: RawLlmServer[] = [];

beforeAll(async () => {
  fake = await startFakeLlm();
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.mock.reset();
});
afterEach(async () => {
  await Promise.all(rawServers.splice(0).map((server) => server.stop()));
});

async function rawClient(
  handle: (reply: RawReply, request: RawRequest) => void,
  overrides: { timeoutMs?: number; maxRetries?: number } = {},
): Promise<{ client: LlmClient; server: RawLlmServer }> {
  const server = await startRawLlmServer(handle);
  rawServers.push(server);
  return { client: createOpenAiClient(fake.settings({ baseURL: server.url, ...overrides })), server };
}

/** The JSON bodies aimock received, in order. */
function bodies(): Record<string, unknown>[] {
  return fake.mock.getRequests().map((entry) => (entry.body ?? {}) as Record<string, unknown>);
}

describe("streaming text", () => {
  it("delivers text through onDelta in several pieces and returns all of it with usage", async () => {
    const story = "Once upon a time a bot answered in a thread.";
    fake.mock.onMessage("tell me a story", { content: story, usage: { prompt_tokens: 21, completion_tokens: 9 } }, { chunkSize: 6 });
    const deltas: string[] = [];
    const result = await createOpenAiClient(fake.settings()).complete({
      messages: ask("tell me a story"),
      onDelta: (text) => deltas.push(text),
    });

    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe(story);
    expect(result).toEqual({
      content: story,
      toolCalls: [],
      finishReason: "stop",
      usage: { promptTokens: 21, completionTokens: 9 },
      responseModel: "fake-model",
      responseId: expect.stringMatching(/^chatcmpl-/),
    });

    const [body] = bodies();
    expect(body).toMatchObject({ model: "fake-model", stream: true, stream_options: { include_usage: true } });
    expect(body).not.toHaveProperty("tools");
    expect(body).not.toHaveProperty("tool_choice");
    // A display name with a space would be a 400 from OpenAI.
    expect(body?.messages).toEqual([
      { role: "system", content: "You are terse." },
      { role: "user", content: "tell me a story", name: "Ada_Lovelace" },
    ]);
  });

  it("leaves usage out when the server sends none", async () => {
    const { client } = await rawClient((reply) =>
      reply.sse([chunk({ role: "assistant", content: "Hi" }), chunk({ content: " there" }), chunk({}, "stop")]),
    );
    const result = await client.complete({ messages: ask("hello") });
    expect(result).toEqual({
      content: "Hi there",
      toolCalls: [],
      finishReason: "stop",
      responseModel: "raw-model",
      responseId: "chatcmpl-raw",
    });
    expect(result).not.toHaveProperty("usage");
  });
});

describe("tool calls", () => {
  it("round-trips a tool call and its result to a final answer", async () => {
    fake.mock.onToolResult("call_weather_1", { content: "Sunny, 24 °C in Paris." });
    fake.mock.onMessage(
      "weather in Paris",
      { toolCalls: [{ id: "call_weather_1", name: "get_weather", arguments: '{"city":"Paris"}' }] },
      { chunkSize: 4 },
    );
    const client = createOpenAiClient(fake.settings());
    const messages = ask("What is the weather in Paris?");

    const first = await client.complete({ messages, tools: [weatherTool] });
    expect(first.toolCalls).toEqual([{ id: "call_weather_1", name: "get_weather", arguments: '{"city":"Paris"}' }]);
    expect(first.finishReason).toBe("tool_calls");

    const second = await client.complete({
      messages: [
        ...messages,
        { role: "assistant", content: first.content, toolCalls: first.toolCalls },
        { role: "tool", toolCallId: "call_weather_1", content: '{"sky":"sunny","celsius":24}' },
      ],
      tools: [weatherTool],
    });
    expect(second).toMatchObject({ content: "Sunny, 24 °C in Paris.", toolCalls: [], finishReason: "stop" });

    const [firstBody, secondBody] = bodies();
    expect(firstBody).toMatchObject({
      tool_choice: "auto",
      tools: [
        { type: "function", function: { name: "get_weather", description: weatherTool.description, parameters: weatherTool.parameters } },
      ],
    });
    expect((secondBody?.messages as unknown[] | undefined)?.slice(2)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_weather_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
      },
      { role: "tool", tool_call_id: "call_weather_1", content: '{"sky":"sunny","celsius":24}' },
    ]);
  });

  it("accepts whole tool calls, arguments included, in a single delta", async () => {
    const { client } = await rawClient((reply) =>
      reply.sse([
        chunk({
          role: "assistant",
          tool_calls: [
            { index: 0, id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
            { index: 1, id: "call_b", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
          ],
        }),
        chunk({}, "tool_calls"),
      ]),
    );
    const result = await client.complete({ messages: ask("weather in Oslo and Rome"), tools: [weatherTool] });
    expect(result.toolCalls).toEqual([
      { id: "call_a", name: "get_weather", arguments: '{"city":"Oslo"}' },
      { id: "call_b", name: "get_weather", arguments: '{"city":"Rome"}' },
    ]);
  });

  it("gives tool calls sent without ids unique ids", async () => {
    const { client } = await rawClient((reply) =>
      reply.sse([
        chunk({ role: "assistant", tool_calls: [{ index: 0, type: "function", function: { name: "get_weather", arguments: "" } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Lima"}' } }] }),
        chunk({ tool_calls: [{ index: 1, type: "function", function: { name: "get_weather", arguments: '{"city":"Quito"}' } }] }),
        chunk({}, "tool_calls"),
      ]),
    );
    const first = await client.complete({ messages: ask("weather in Lima and Quito"), tools: [weatherTool] });
    const second = await client.complete({ messages: ask("again"), tools: [weatherTool] });

    expect(first.toolCalls.map(({ name, arguments: args }) => ({ name, args }))).toEqual([
      { name: "get_weather", args: '{"city":"Lima"}' },
      { name: "get_weather", args: '{"city":"Quito"}' },
    ]);
    const ids = [...first.toolCalls, ...second.toolCalls].map((call) => call.id);
    for (const id of ids) expect(id).toMatch(/^call_\d+_[0-9a-f]+$/);
    expect(new Set(ids).size).toBe(4);
  });

  it("tells calls apart by id or name when the server sends no index", async () => {
    const { client } = await rawClient((reply) =>
      reply.sse([
        chunk({ role: "assistant", tool_calls: [{ id: "call_1", function: { name: "get_weather", arguments: '{"city":"Pune"}' } }] }),
        chunk({ tool_calls: [{ function: { name: "get_weather", arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ function: { arguments: '"Goa"}' } }] }),
        chunk({}, "tool_calls"),
      ]),
    );
    const result = await client.complete({ messages: ask("weather in Pune and Goa"), tools: [weatherTool] });
    expect(result.toolCalls.map((call) => call.arguments)).toEqual(['{"city":"Pune"}', '{"city":"Goa"}']);
    expect(result.toolCalls[0]?.id).toBe("call_1");
    expect(result.toolCalls[1]?.id).toMatch(/^call_\d+_/);
  });

  it("keeps one call when the server repeats its id on every delta", async () => {
    const { client } = await rawClient((reply) =>
      reply.sse([
        chunk({
          role: "assistant",
          tool_calls: [{ index: 0, id: "call_x", type: "function", function: { name: "get_weather", arguments: '{"ci' } }],
        }),
        chunk({ tool_calls: [{ index: 0, id: "call_x", type: "function", function: { arguments: 'ty":"Kyiv"}' } }] }),
        chunk({}, "tool_calls"),
      ]),
    );
    const result = await client.complete({ messages: ask("weather in Kyiv"), tools: [weatherTool] });
    expect(result.toolCalls).toEqual([{ id: "call_x", name: "get_weather", arguments: '{"city":"Kyiv"}' }]);
  });
});

describe("retries", () => {
  it("waits out Retry-After on a 429 and then succeeds", async () => {
    let served = 0;
    fake.mock.onMessage("busy", () =>
      served++ === 0
        ? { status: 429, retryAfter: 1, error: { message: "Rate limit reached", type: "rate_limit_error" } }
        : { content: "Done after waiting." },
    );
    const result = await createOpenAiClient(fake.settings({ maxRetries: 2 })).complete({ messages: ask("busy") });

    expect(result.content).toBe("Done after waiting.");
    const arrivals = fake.mock.getRequests().map((entry) => entry.timestamp);
    expect(arrivals).toHaveLength(2);
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(900);
  });

  it("retries a 500 and then succeeds", async () => {
    fake.mock.nextRequestError(500, { message: "upstream exploded" });
    fake.mock.onMessage("flaky", { content: "Recovered." });
    const result = await createOpenAiClient(fake.settings({ maxRetries: 1 })).complete({ messages: ask("flaky") });
    expect(result.content).toBe("Recovered.");
    expect(fake.mock.getRequests().map((entry) => entry.response.status)).toEqual([500, 200]);
  });

  it("gives up on a persistent 500 after maxRetries + 1 attempts", async () => {
    fake.mock.onMessage("broken", { status: 500, error: { message: "still broken", type: "server_error" } });
    const error = await failure(createOpenAiClient(fake.settings({ maxRetries: 2 })).complete({ messages: ask("broken") }));
    expect(error.kind).toBe("server");
    expect(fake.mock.getRequests()).toHaveLength(3);
  });

  it("reports a 429 whose Retry-After outlasts the deadline as rate limiting, not a timeout", async () => {
    fake.mock.onMessage("very busy", { status: 429, retryAfter: 30, error: { message: "Rate limit reached" } });
    const client = createOpenAiClient(fake.settings({ maxRetries: 3, timeoutMs: 400 }));
    const error = await failure(client.complete({ messages: ask("very busy") }));
    expect(error.kind).toBe("rate_limited");
    expect(fake.mock.getRequests()).toHaveLength(1);
  });
});

describe("failures", () => {
  it("times out on a server that accepts the request and never answers", async () => {
    const { client, server } = await rawClient((reply) => reply.hang(), { timeoutMs: 300, maxRetries: 0 });
    const started = Date.now();
    const error = await failure(client.complete({ messages: ask("anyone there?") }));
    expect(error.kind).toBe("timeout");
    expect(error.message).toContain("0.3 s");
    expect(server.requests).toHaveLength(1);
    // Bounds the test, not our speed: without the deadline this would wait for vitest's timeout.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("times out when the stream stalls after it has started", async () => {
    // Headers and the opening chunk at once, then silence; aimock hangs up at 1.5 s so the
    // connection does not outlive the test (a hang-up before our deadline would read "server").
    fake.mock.onMessage(
      "stall",
      { content: "You will not see all of this." },
      { chunkSize: 100, streamingProfile: { ttft: 0, tps: 0.2 }, disconnectAfterMs: 1_500 },
    );
    const client = createOpenAiClient(fake.settings({ timeoutMs: 300, maxRetries: 0 }));
    const error = await failure(client.complete({ messages: ask("stall") }));
    expect(error.kind).toBe("timeout");
  });

  it("reports a garbage body as bad_response", async () => {
    fake.mock.onMessage("garbage", { content: "unused" }, { chaos: { malformedRate: 1 } });
    const error = await failure(createOpenAiClient(fake.settings()).complete({ messages: ask("garbage") }));
    expect(error.kind).toBe("bad_response");
  });

  it("reports an unparsable event stream as bad_response", async () => {
    const { client } = await rawClient((reply) =>
      reply.sse([chunk({ role: "assistant", content: "Hel" }), '{"choices": [ {"delta": nope']),
    );
    const error = await failure(client.complete({ messages: ask("hello") }));
    expect(error.kind).toBe("bad_response");
  });

  it("does not pass off a stream cut short as a whole answer", async () => {
    fake.mock.onMessage("cut", { content: "This answer will be cut off part way." }, { chunkSize: 5, truncateAfterChunks: 3 });
    const error = await failure(createOpenAiClient(fake.settings()).complete({ messages: ask("cut") }));
    expect(["server", "bad_response"]).toContain(error.kind);
  });

  it("maps 401 to auth without revealing the api key", async () => {
    fake.mock.nextRequestError(401, {
      message: `Incorrect API key provided: ${fakeApiKey}`,
      type: "invalid_request_error",
      code: "invalid_api_key",
    });
    const error = await failure(createOpenAiClient(fake.settings({ maxRetries: 2 })).complete({ messages: ask("who am I") }));
    expect(error.kind).toBe("auth");
    expect(error.message).toContain("OPENAI_API_KEY");
    expect(error.message).not.toContain(fakeApiKey);
    expect(fake.mock.getRequests()).toHaveLength(1);
  });

  it("maps 400 to bad_request with the server's reason", async () => {
    fake.mock.nextRequestError(400, { message: "This model's maximum context length is 8192 tokens.", type: "invalid_request_error" });
    const error = await failure(createOpenAiClient(fake.settings()).complete({ messages: ask("too long") }));
    expect(error.kind).toBe("bad_request");
    expect(error.message).toContain("maximum context length");
  });

  it("reports the caller's abort as aborted", async () => {
    fake.mock.onMessage("slow", { content: "one two three four five six" }, { chunkSize: 4, streamingProfile: { ttft: 0, tps: 10 } });
    const controller = new AbortController();
    const deltas: string[] = [];
    const error = await failure(
      createOpenAiClient(fake.settings()).complete({
        messages: ask("slow"),
        signal: controller.signal,
        onDelta: (text) => {
          deltas.push(text);
          controller.abort();
        },
      }),
    );
    expect(error.kind).toBe("aborted");
    expect(deltas).toHaveLength(1);
  });
});

describe("choosing a client", () => {
  it("explains what to set when no LLM is configured", async () => {
    const client = createLlmClient({
      ...fake.settings(),
      configured: false,
      baseURL: undefined,
      apiKey: "not-needed",
      model: "gpt-4o-mini",
    });
    expect(client.model).toBe("gpt-4o-mini");
    const error = await failure(client.complete({ messages: ask("hello") }));
    expect(error.kind).toBe("not_configured");
    for (const name of ["OPENAI_API_KEY", "OPENAI_BASE_URL", "LLM_MODEL"]) expect(error.message).toContain(name);
    expect(fake.mock.getRequests()).toHaveLength(0);
  });

  it("uses the OpenAI client when configured", async () => {
    fake.mock.onMessage("ping", { content: "pong" });
    const client = createLlmClient(fake.settings());
    expect(client.model).toBe("fake-model");
    expect((await client.complete({ messages: ask("ping") })).content).toBe("pong");
  });
});
