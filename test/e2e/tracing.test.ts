import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../fakes/otlp-receiver.js";
import { scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { scratchPostgresUrl } from "../support/databases.js";
import { scriptProjectLlm } from "../support/project-llm.js";
import { waitFor } from "../support/wait.js";
import { fakeLlmEnv, spawnWorker, stopWorker } from "../support/worker-process.js";

// Which tracing SDK modules this process imported: src/wiring/tracing.ts loads them only with an endpoint.
const { loaded, noting } = vi.hoisted(() => {
  const loaded = new Set<string>();
  const noting = (name: string) => async (original: () => Promise<unknown>) => {
    loaded.add(name);
    return original();
  };
  return { loaded, noting };
});
vi.mock("@opentelemetry/sdk-trace-node", noting("@opentelemetry/sdk-trace-node"));
vi.mock("@opentelemetry/exporter-trace-otlp-http", noting("@opentelemetry/exporter-trace-otlp-http"));
vi.mock("@opentelemetry/resources", noting("@opentelemetry/resources"));
vi.mock("bullmq-otel", noting("bullmq-otel"));

const QUESTION = "what is 6 times 7, secretly?";
const GOAL = "Chart the tides of Avalon";

/** A turn with one calculator call, then a one-task project, both to the end. */
async function turnAndProject(t: TestApp, channel: string): Promise<void> {
  let calls = 0;
  scriptLlm(t.llm, () =>
    calls++ === 0 ? { toolCalls: [{ name: "calculator", arguments: { expression: "6 * 7" } }] } : { content: "It is 42." },
  );
  const answered = await t.post("/api/chat", { channel, user: "ada", text: QUESTION });
  expect(answered.json.reply.text).toBe("It is 42.");

  scriptProjectLlm(t.llm, { plans: [[{ key: "tides", capabilities: ["research"] }]] });
  const { json } = await t.post("/api/commands", { channel, user: "ada", command: "/project", text: GOAL });
  const id = /\(id ([0-9a-f-]{36})\)/.exec(json.text)?.[1];
  if (!id) throw new Error(`no project id in: ${json.text}`);
  await waitFor(async () => (await t.get(`/api/projects/${id}`)).json.reportedAt !== null, 30_000, "the project to report");
  expect((await t.get(`/api/projects/${id}`)).json.status).toBe("done");
}

describe("tracing", () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver?.stop();
  });

  it("without OTEL_EXPORTER_OTLP_ENDPOINT loads no tracing SDK and sends nothing", async () => {
    // What an SDK would read if one were started anyway.
    vi.stubEnv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", `${receiver.url}/v1/traces`);
    const t = await startTestApp({ LLM_TIMEOUT_MS: "30000" });
    try {
      await turnAndProject(t, "untraced");
    } finally {
      await t.stop();
      vi.unstubAllEnvs();
    }
    expect([...loaded]).toEqual([]);
    expect(receiver.requests).toBe(0);
  });

  it("exports a turn's model and tool calls, and a project's jobs across processes in one trace", async () => {
    const db = await scratchPostgresUrl();
    const settings = {
      DATABASE_URL: db.url,
      REDIS_PREFIX: `qtest-${randomBytes(4).toString("hex")}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // This machine is shared and loaded: the fake model's answers must not time out.
      LLM_TIMEOUT_MS: "30000",
    };
    const t = await startTestApp({ ...settings, WORKERS: "off" });
    const worker = spawnWorker({ ...settings, ...fakeLlmEnv(t.llm.url), OTEL_SERVICE_NAME: "quorum-worker" });
    try {
      await turnAndProject(t, "traced");
    } finally {
      // Both flush their spans as they stop: the worker on SIGTERM, the app in close().
      await stopWorker(worker);
      await t.stop();
      await db.drop();
    }
    expect([...loaded].sort()).toEqual([
      "@opentelemetry/exporter-trace-otlp-http",
      "@opentelemetry/resources",
      "@opentelemetry/sdk-trace-node",
      "bullmq-otel",
    ]);
    const spans = receiver.spans;
    const named = (name: string, where: (span: ReceivedSpan) => boolean = () => true) => spans.filter((s) => s.name === name && where(s));
    const childrenOf = (parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);

    // The turn: its two model calls and the tool call between them are its children.
    const [turn, ...otherTurns] = named("invoke_agent assistant");
    expect(otherTurns).toEqual([]);
    expect(turn).toMatchObject({
      service: "quorum",
      parentSpanId: undefined,
      kind: 1,
      attributes: {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "assistant",
        "quorum.platform": "web",
        "quorum.outcome": "ok",
        "gen_ai.conversation.id": expect.any(String),
      },
    });
    const inTurn = childrenOf(turn!);
    expect(inTurn.map((s) => s.name)).toEqual(expect.arrayContaining(["chat fake-model", "execute_tool calculator"]));
    const chats = inTurn.filter((s) => s.name === "chat fake-model");
    expect(chats).toHaveLength(2);
    for (const chat of chats)
      expect(chat).toMatchObject({
        kind: 3,
        attributes: {
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "openai",
          "gen_ai.request.model": "fake-model",
          "gen_ai.response.model": "fake-model",
          "gen_ai.usage.input_tokens": expect.any(Number),
          "gen_ai.usage.output_tokens": expect.any(Number),
          "server.address": "127.0.0.1",
        },
      });
    expect(chats.map((chat) => chat.attributes["gen_ai.response.finish_reasons"]).sort()).toEqual([["stop"], ["tool_calls"]]);
    expect(inTurn.find((s) => s.name === "execute_tool calculator")).toMatchObject({
      kind: 1,
      statusCode: 0,
      attributes: {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "calculator",
        "gen_ai.tool.call.id": expect.any(String),
        "quorum.outcome": "ok",
      },
    });

    // The project: the command queues the plan; the worker process plans, queues the task and runs it, all in the command's trace.
    const [command] = named("command", (s) => s.attributes["quorum.command"] === "/project");
    expect(command).toMatchObject({ service: "quorum", parentSpanId: undefined });
    const trace = spans.filter((s) => s.traceId === command!.traceId);
    const addPlan = trace.find((s) => s.name === "add quorum-projects.plan");
    expect(addPlan).toMatchObject({ service: "quorum", parentSpanId: command!.spanId, kind: 4 });
    const plan = trace.find((s) => s.name === "process quorum-projects" && s.attributes["bullmq.job.name"] === "plan");
    expect(plan).toMatchObject({ service: "quorum-worker", parentSpanId: addPlan!.spanId, kind: 5 });
    expect(childrenOf(plan!).map((s) => s.name)).toEqual(expect.arrayContaining(["chat fake-model", "addBulk quorum-projects"]));
    const addTask = childrenOf(plan!).find((s) => s.name === "addBulk quorum-projects");
    const task = trace.find((s) => s.name === "process quorum-projects" && s.attributes["bullmq.job.name"] === "task");
    expect(task).toMatchObject({ service: "quorum-worker", parentSpanId: addTask!.spanId });
    expect(childrenOf(task!).filter((s) => s.name === "chat fake-model")).toHaveLength(1);
    // BullMQ's housekeeping (polls, stalled checks) stays out.
    expect(spans.filter((s) => s.scope === "bullmq" && ![4, 5].includes(s.kind))).toEqual([]);

    // Ids, models, counts and names only: nothing anyone wrote.
    const values = JSON.stringify(spans.map((s) => s.attributes));
    for (const text of [QUESTION, "6 * 7", "It is 42", GOAL, "Result of tides"]) expect(values).not.toContain(text);
  }, 90_000);

  it("says in the log when the collector refuses the spans, and goes on answering", async () => {
    const logLines: string[] = [];
    const before = receiver.requests;
    // The receiver answers 404 off /v1/traces: a collector that is not one.
    const t = await startTestApp(
      { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/not-a-collector`, LOG_LEVEL: "warn", LLM_TIMEOUT_MS: "30000" },
      { logLines },
    );
    try {
      scriptLlm(t.llm, () => "Still here.");
      expect((await t.post("/api/chat", { channel: "refused", user: "ada", text: QUESTION })).json.reply.text).toBe("Still here.");
    } finally {
      await t.stop();
    }
    expect(receiver.requests).toBeGreaterThan(before);
    const said = logLines
      .map((line) => JSON.parse(line) as { component?: string; msg: string })
      .filter((line) => line.component === "tracing");
    expect(said.length).toBeGreaterThan(0);
    expect(said.map((line) => line.msg).join("\n")).toMatch(/404|Not Found/);
    expect(logLines.join("\n")).not.toContain(QUESTION);
  });
});
