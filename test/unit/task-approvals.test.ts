import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ApprovalFlow } from "../../src/agents/approvals/approval-flow.js";
import { type ApprovalRow, ApprovalStore, type TaskApprovalRow } from "../../src/agents/approvals/approval-store.js";
import type { AssistantDirectory } from "../../src/agents/assistant/assistant-directory.js";
import type { LoopState } from "../../src/agents/assistant/reasoning-loop.js";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import { resumeSpecialist, runSpecialist, type SpecialistOutcome } from "../../src/agents/team/specialist-agent.js";
import type { Specialist } from "../../src/agents/team/specialists.js";
import type { ApprovalOutcomeView, Poster } from "../../src/core/poster.js";
import { ThreadQueue } from "../../src/core/thread-queue.js";
import type { Database } from "../../src/db/client.js";
import type { TaskRow } from "../../src/jobs/project-store.js";
import { workingMs } from "../../src/jobs/project-store.js";
import { statusText } from "../../src/jobs/project-text.js";
import { ToolExecutor } from "../../src/tools/executor.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { createLogger } from "../../src/wiring/log.js";
import { scratchPglite } from "../support/databases.js";
import { ScriptedLlm } from "../support/scripted-llm.js";
import { testTool } from "../support/tools.js";

const emptyLoop: LoopState = {
  messages: [],
  pending: [],
  step: 1,
  usage: { promptTokens: 0, completionTokens: 0 },
  toolCalls: [],
  seen: [],
};

/** Decisions on calls project tasks wait on: only the project's creator or an admin, handed to the project workers. */
describe("approvals of project tasks", () => {
  let database: Database;
  let store: ApprovalStore;
  let channelId: string;
  let handed: TaskApprovalRow[];
  let shown: ApprovalOutcomeView[];
  let handOver: (row: TaskApprovalRow) => Promise<void>;
  const poster = {
    showDecision: async (_to: unknown, _id: string, _prompt: unknown, outcome: ApprovalOutcomeView) => void shown.push(outcome),
  } as unknown as Poster;
  let flow: ApprovalFlow;

  beforeAll(async () => {
    database = await scratchPglite();
    store = new ApprovalStore(database.db);
    const conversations = new ConversationStore(database.db);
    channelId = (await conversations.ensureChannel("slack", "C0TEAM", "team")).id;
    flow = new ApprovalFlow({
      store,
      conversations,
      // A task's decision never reaches a channel's assistant.
      assistants: {} as AssistantDirectory,
      threads: new ThreadQueue(),
      tools: new ToolRegistry([], { adminUsers: ["slack:U0LIS"] }),
      posterFor: (platform) => (platform === "slack" ? poster : undefined),
      resumeTask: (row) => handOver(row),
      log: createLogger("silent"),
    });
  });
  afterAll(async () => {
    await flow.drain();
    await database.close();
  });
  beforeEach(() => {
    handed = [];
    shown = [];
    handOver = async (row) => void handed.push(row);
  });

  /** A task of ann's project waiting on a call, its prompt posted. */
  async function waiting(ttlMs?: number): Promise<ApprovalRow> {
    const row = await store.create(
      {
        channelId,
        conversationId: null,
        to: { platform: "slack", channel: "C0TEAM", thread: "1700000000.000100" },
        asker: { id: "U0ANN", name: "ann" },
        tool: "ext__send",
        args: { to: "vendor" },
        turn: { kind: "task", projectId: "p-1", taskKey: "deliver", specialist: "courier", loop: emptyLoop, sources: [] },
      },
      ttlMs,
    );
    await store.setPromptMessage(row.id, "1700000000.000200");
    return { ...row, promptMessageId: "1700000000.000200" };
  }

  const decide = (row: ApprovalRow, by: { id: string; isAdmin?: boolean }, approve = true) =>
    flow.decide({ platform: "slack", id: row.id, approve, by }, poster);

  it("refuses someone who neither started the project nor is an admin, and changes nothing", async () => {
    const row = await waiting();
    const result = await decide(row, { id: "U0MEL" });
    expect(result).toEqual({ status: "forbidden", asker: { id: "U0ANN", name: "ann" } });
    expect((await store.get("slack", row.id))!.state).toBe("pending");
    expect(handed).toEqual([]);
    expect(shown).toEqual([]);
  });

  it("lets the project's creator decide, and hands the task to the project workers", async () => {
    const row = await waiting();
    const result = await decide(row, { id: "U0ANN", isAdmin: false }, false);
    if (result.status !== "decided") throw new Error(`not decided: ${result.status}`);
    const handled = await result.turn;
    expect(handled.reply.text).toMatch(/^🚫 Denied by U0ANN at .* The project's task `deliver` goes on\.$/);
    expect(handled.thread).toBe("1700000000.000100");
    expect(handed.map((task) => [task.id, task.state, task.turn.taskKey])).toEqual([[row.id, "denied", "deliver"]]);
    expect(shown.map((outcome) => outcome.state)).toEqual(["denied"]);
  });

  it("lets an admin decide, from ADMIN_USERS or the platform's own roles", async () => {
    for (const by of [{ id: "U0LIS" }, { id: "U0OTTO", isAdmin: true }]) {
      const row = await waiting();
      const result = await decide(row, by);
      expect(result.status).toBe("decided");
      if (result.status === "decided") await result.turn;
    }
    expect(handed.map((task) => task.state)).toEqual(["approved", "approved"]);
  });

  it("records the decision even when the workers cannot be reached, and says the task goes on later", async () => {
    handOver = async () => {
      throw new Error("Redis did not answer");
    };
    const row = await waiting();
    const result = await decide(row, { id: "U0ANN" });
    if (result.status !== "decided") throw new Error(`not decided: ${result.status}`);
    expect((await result.turn).reply.text).toContain("goes on once the project workers can take it up");
    expect((await store.get("slack", row.id))!.state).toBe("approved");
    // Decided twice: the second click is told it was taken.
    expect((await decide(row, { id: "U0LIS" })).status).toBe("taken");
  });

  it("expires a call nobody decided in time, as denied, and hands the task over", async () => {
    const row = await waiting(0);
    await flow.sweep();
    await flow.drain();
    expect(handed.map((task) => [task.id, task.state])).toEqual([[row.id, "expired"]]);
    expect(shown.map((outcome) => outcome.state)).toEqual(["expired"]);
  });
});

describe("a specialist at a call that waits for approval", () => {
  let database: Database;
  let executor: ToolExecutor;
  let channelId: string;
  let sent: string[];
  const send = testTool({
    name: "send",
    description: "Sends a message outside.",
    risk: "external",
    input: z.object({ to: z.string() }),
    run: async ({ to }) => {
      sent.push(to);
      return `sent to ${to}: https://example.org/receipt/${to}`;
    },
  });
  const courier: Specialist = { name: "courier", capabilities: ["delivery"], systemPrompt: "You deliver.", tools: ["send"] };

  beforeAll(async () => {
    database = await scratchPglite();
    executor = new ToolExecutor(database.db);
    channelId = (await new ConversationStore(database.db).ensureChannel("web", "tasks", "tasks")).id;
  });
  afterAll(() => database.close());
  beforeEach(() => {
    sent = [];
  });

  const task = () => ({ tools: [send], channelId, author: { id: "ann" }, signal: new AbortController().signal });
  const deps = (llm: ScriptedLlm) => ({ llm, executor, maxSteps: 4, approval: "external" as const });
  const start = (llm: ScriptedLlm) =>
    runSpecialist(
      courier,
      { ...task(), projectId: "p", goal: "Greet the vendor", key: "deliver", description: "Deliver it", inputs: [] },
      deps(llm),
    );
  const paused = (outcome: SpecialistOutcome) => {
    if (!("paused" in outcome)) throw new Error(`did not stop: ${outcome.result}`);
    // Stored as JSON in tool_approvals, and read back.
    return JSON.parse(JSON.stringify(outcome.paused)) as typeof outcome.paused;
  };

  it("stops before the call, then runs it once approved and cites what it returned", async () => {
    const llm = new ScriptedLlm().next({ toolCalls: [{ name: "send", arguments: { to: "vendor" } }] }, "Delivered.");
    const stopped = paused(await start(llm));
    expect(stopped.call.name).toBe("send");
    expect(sent).toEqual([]);
    const outcome = await resumeSpecialist(courier, task(), stopped, "approved", deps(llm));
    expect(outcome).toEqual({ result: "Delivered.\n\nSources:\n- https://example.org/receipt/vendor" });
    expect(sent).toEqual(["vendor"]);
  });

  it("tells the model a denied call was declined and answers without it", async () => {
    const llm = new ScriptedLlm().next({ toolCalls: [{ name: "send", arguments: { to: "vendor" } }] }, "Not delivered.");
    const outcome = await resumeSpecialist(courier, task(), paused(await start(llm)), "denied", deps(llm));
    expect(outcome).toEqual({ result: "Not delivered." });
    expect(sent).toEqual([]);
    expect(JSON.stringify(llm.lastRequest().messages.at(-1))).toContain("declined this call");
  });

  it("asks nobody when TOOL_APPROVAL is none", async () => {
    const llm = new ScriptedLlm().next({ toolCalls: [{ name: "send", arguments: { to: "vendor" } }] }, "Delivered.");
    const outcome = await runSpecialist(
      courier,
      { ...task(), projectId: "p", goal: "Greet", key: "deliver", description: "Deliver it", inputs: [] },
      { ...deps(llm), approval: "none" },
    );
    expect("result" in outcome).toBe(true);
    expect(sent).toEqual(["vendor"]);
  });
});

describe("a project that waits for a person", () => {
  const created = new Date("2026-01-01T00:00:00Z");
  const at = (seconds: number) => created.getTime() + seconds * 1_000;

  it("does not count waiting time toward its timeout", () => {
    // Worked 10 s, waited 60 s, worked 5 s more.
    expect(workingMs({ createdAt: created, waitedMs: 60_000, waitingSince: null }, at(75))).toBe(15_000);
    // Waiting since second 10: the clock stands still however long the wait.
    expect(workingMs({ createdAt: created, waitedMs: 0, waitingSince: new Date(at(10)) }, at(10 + 900))).toBe(10_000);
  });

  it("says so in its status message", () => {
    const task = (key: string, status: string) => ({ key, status, specialist: "courier", startedAt: null, finishedAt: null }) as TaskRow;
    const text = statusText(
      { id: "p-123456789", goal: "Greet", status: "running", createdAt: created, updatedAt: created, planNote: null },
      [task("deliver", "waiting_approval"), task("report", "pending")],
    );
    expect(text).toContain("Status: waiting for approval · 0/2 tasks done");
    expect(text).toContain("⏸️ `deliver` courier · waiting for approval");
  });
});
