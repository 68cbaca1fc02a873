import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { eq, sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { llmUsage } from "../../src/db/schema.js";
import { jobIds, PROJECT_QUEUE } from "../../src/jobs/queue.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { diamond, scriptProjectLlm } from "../support/project-llm.js";
import { waitFor } from "../support/wait.js";

interface ProjectEvent {
  type: string;
  projectId?: string;
  text?: string;
  at: number;
}

/** Projects through the web console: real BullMQ on the local Redis, PGlite, a fake LLM. */
describe("/project", () => {
  let t: TestApp;
  const prefix = `qtest-${randomBytes(4).toString("hex")}`;
  const redis = new Redis("redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
  const jobs = new Queue(PROJECT_QUEUE, { connection: redis, prefix });
  beforeAll(async () => {
    t = await startTestApp({ PROJECT_RETRY_BACKOFF_MS: "50", PROJECT_TASK_ATTEMPTS: "2", REDIS_PREFIX: prefix });
  });
  afterAll(async () => {
    await t.stop();
    await jobs.close();
    redis.disconnect();
  });

  async function watch(channel: string): Promise<{ events: ProjectEvent[]; close(): void }> {
    const ws = new WebSocket(`${t.app.url.replace("http", "ws")}/api/events?channel=${channel}`, { headers: t.auth });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const events: ProjectEvent[] = [];
    ws.on("message", (data) => events.push({ ...JSON.parse(String(data)), at: Date.now() }));
    return { events, close: () => ws.close() };
  }

  async function start(channel: string, goal: string): Promise<string> {
    const { json } = await t.post("/api/commands", { channel, user: "ann", command: "/project", text: goal });
    const id = /\(id ([0-9a-f-]{36})\)/.exec(json.text)?.[1];
    if (!id) throw new Error(`no project id in: ${json.text}`);
    return id;
  }

  /** The project once it has ended and its final message is in the thread. */
  async function settled(id: string, timeoutMs = 30_000) {
    await waitFor(async () => (await t.get(`/api/projects/${id}`)).json.reportedAt !== null, timeoutMs, `project ${id} to report`);
    return (await t.get(`/api/projects/${id}`)).json;
  }

  it("runs a diamond plan: B and C overlap, D gets both results, one report, edits 2 s apart", async () => {
    const llm = scriptProjectLlm(t.llm, {
      plans: [diamond],
      // Long enough that an edit (one per 2 s at most) must fall while they run, even on a busy machine.
      taskMs: (key) => (key === "b" || key === "c" ? 4_500 : 100),
      work: (key, input) =>
        key === "d"
          ? `# Report\nBuilt on: ${input.includes("Result of b.") && input.includes("Result of c.") ? "b and c" : "something else"}`
          : `Result of ${key}.`,
    });
    const watcher = await watch("vendors");
    const id = await start("vendors", "Compare the three vendors and recommend one");

    const project = await settled(id);
    expect(project.status).toBe("done");
    expect(
      project.tasks.map((task: { key: string; status: string; specialist: string }) => [task.key, task.status, task.specialist]).sort(),
    ).toEqual([
      ["a", "done", "research"],
      ["b", "done", "analysis"],
      ["c", "done", "research"],
      ["d", "done", "synthesis"],
    ]);
    const b = llm.tasks.find((call) => call.key === "b")!;
    const c = llm.tasks.find((call) => call.key === "c")!;
    expect(b.start).toBeLessThan(c.end);
    expect(c.start).toBeLessThan(b.end);
    const d = llm.tasks.find((call) => call.key === "d")!;
    expect(d.input).toContain("Result of b.");
    expect(d.input).toContain("Result of c.");
    expect(d.input).not.toContain("Result of a.");
    expect(project.report).toBe("# Report\nBuilt on: b and c");
    // Streamed with its usage, as every model call is (DESIGN.md), though nobody watches it arrive.
    expect(llm.planCalls.at(-1)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    // Its job carried what d's specialist needed, so it started while d was marked started.
    const dJob = await jobs.getJob(jobIds.task(id, "d"));
    expect(dJob?.data.inputs).toMatchObject({ goal: "Compare the three vendors and recommend one", specialist: "synthesis" });
    expect(dJob?.data.inputs.dependencies.map((input: { key: string; result: string }) => [input.key, input.result]).sort()).toEqual([
      ["b", "Result of b."],
      ["c", "Result of c."],
    ]);

    await waitFor(() => watcher.events.some((event) => event.type === "project.done"), 10_000, "project.done");
    // The last status edit follows the report within an interval or two.
    await waitFor(
      () =>
        watcher.events.some((event) => event.type === "project.progress" && event.projectId === id && event.text!.includes("Status: done")),
      10_000,
      "the last status edit",
    );
    watcher.close();
    const mine = watcher.events.filter((event) => event.projectId === id);
    expect(mine.filter((event) => event.type === "project.done")).toHaveLength(1);
    const edits = mine.filter((event) => event.type === "project.progress");
    expect(edits.at(0)?.text, edits.map((e) => e.text).join("\n---\n")).toMatch(/Status: (planning|working)/);
    expect(edits.some((event) => /🔄 `[bc]`/.test(event.text!))).toBe(true);
    expect(edits.at(-1)?.text).toContain("Status: done · 4/4 tasks done");
    for (let i = 1; i < edits.length; i++) expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(1_500);

    // The thread holds the status message, a summary per finished task, and the report once.
    const messages = (await t.get(`/api/threads/${project.thread}/messages`)).json as { text: string }[];
    expect(messages[0]!.text).toContain("Status: done");
    expect(
      messages
        .filter((m) => m.text.startsWith("✅ `"))
        .map((m) => m.text.slice(0, 5))
        .sort(),
    ).toEqual(["✅ `a`", "✅ `b`", "✅ `c`"]);
    expect(messages.filter((m) => m.text.includes("# Report"))).toHaveLength(1);

    // The report ends with what the project's calls spent: the plan's and each task's, recorded with it.
    const calls = await t.app.database.db
      .select({ taskKey: llmUsage.taskKey, tokens: sql<number>`${llmUsage.promptTokens} + ${llmUsage.completionTokens}` })
      .from(llmUsage)
      .where(eq(llmUsage.projectId, id));
    expect(calls.map((call) => call.taskKey ?? "plan").sort()).toEqual(["a", "b", "c", "d", "plan"]);
    const tokens = calls.reduce((sum, call) => sum + Number(call.tokens), 0);
    const report = messages.find((m) => m.text.includes("# Report"))!.text;
    expect(report).toMatch(
      new RegExp(
        `\\n\\n_Model usage: ${tokens.toLocaleString("en-US")} tokens \\(.*\\), \\$0 \\(no price in LLM_PRICES for fake-model: counted as \\$0\\)\\._$`,
      ),
    );
  });

  it("does nothing for a plan or task job that carries its inputs when its work is done already", async () => {
    scriptProjectLlm(t.llm, { plans: [diamond] });
    const id = await start("twice", "Do it once");
    const before = await settled(id);
    const plan = await jobs.getJob(jobIds.plan(id));
    const task = await jobs.getJob(jobIds.task(id, "a"));
    expect(plan?.data.goal).toBe("Do it once");
    expect(task?.data.inputs).toBeDefined();
    // The same jobs once more, as a stalled job taken over or a sweep would run them.
    for (const job of [plan!, task!]) {
      await job.remove();
      const again = await jobs.add(job.name, job.data, { jobId: job.id! });
      await waitFor(async () => ["completed", "failed"].includes(await again.getState()), 10_000, "the job to run again");
      expect(await again.getState()).toBe("completed");
    }
    const after = (await t.get(`/api/projects/${id}`)).json;
    expect(after).toEqual(before);
    const messages = (await t.get(`/api/threads/${after.thread}/messages`)).json as { text: string }[];
    expect(messages.filter((m) => m.text.startsWith("✅ `a`"))).toHaveLength(1);
  });

  it("has the coordinator correct a cyclic plan once, and says so", async () => {
    const cyclic = [
      { key: "x", capabilities: ["research"], dependsOn: ["y"] },
      { key: "y", capabilities: ["synthesis"], dependsOn: ["x"] },
    ];
    const llm = scriptProjectLlm(t.llm, {
      plans: [
        cyclic,
        [
          { key: "x", capabilities: ["research"] },
          { key: "y", capabilities: ["synthesis"], dependsOn: ["x"] },
        ],
      ],
    });
    const id = await start("plans", "Find out and write it up");
    const project = await settled(id);
    expect(project.status).toBe("done");
    expect(llm.planCalls).toHaveLength(2);
    expect(JSON.stringify(llm.planCalls[1]!.messages.at(-1))).toContain("cycle: x -> y -> x");
    const status = await t.post("/api/commands", { channel: "plans", user: "ann", command: "/project", text: `status ${id.slice(0, 8)}` });
    expect(status.json.text).toContain("first plan was invalid");
    expect(status.json.text).toContain("coordinator → research [assignment]");
  });

  it("falls back to a safe linear plan when the coordinator cannot plan, and the report says so", async () => {
    scriptProjectLlm(t.llm, { plans: ["I would rather not.", '{"tasks": [{"key": "only"}]}'] });
    const id = await start("plans", "Plan this if you can");
    const project = await settled(id);
    expect(project.status).toBe("done");
    expect(project.tasks.map((task: { key: string }) => task.key)).toEqual(["research", "analysis", "synthesis"]);
    const messages = (await t.get(`/api/threads/${project.thread}/messages`)).json as { text: string }[];
    expect(messages.at(-1)!.text).toMatch(/Result of synthesis\.[\s\S]*safe linear plan was used/);
  });

  it("skips what depends on a task that keeps failing, and the report says what is missing", async () => {
    const plan = [
      ...diamond.slice(0, 3),
      { key: "e", capabilities: ["analysis"], dependsOn: ["c"] },
      { key: "d", capabilities: ["synthesis"], dependsOn: ["b", "e"] },
    ];
    scriptProjectLlm(t.llm, {
      plans: [plan],
      work: (key, input) =>
        key === "c"
          ? ""
          : key === "d"
            ? `Report from: ${/No result: this task skipped/.test(input) ? "b only" : "both"}`
            : `Result of ${key}.`,
    });
    const id = await start("failing", "Try something fragile");
    const project = await settled(id);
    const states = Object.fromEntries(project.tasks.map((task: { key: string; status: string }) => [task.key, task.status]));
    expect(states).toEqual({ a: "done", b: "done", c: "failed", e: "skipped", d: "done" });
    expect(project.status).toBe("done");
    expect(project.report).toBe("Report from: b only");
    const messages = (await t.get(`/api/threads/${project.thread}/messages`)).json as { text: string }[];
    expect(messages.at(-1)!.text).toMatch(/Missing from this report: `c` \(failed: .*empty result\); `e` \(skipped: skipped: "c" failed\)/);
  });

  it("posts a summary again, never not at all, when its task's completion fails after the post", async () => {
    const llm = scriptProjectLlm(t.llm, {
      plans: [
        [
          { key: "flaky", capabilities: ["research"] },
          { key: "write", capabilities: ["synthesis"], dependsOn: ["flaky"] },
        ],
      ],
    });
    // The database refuses the first completion of `flaky` (a lost connection would do the same).
    const { db } = t.app.database;
    await db.execute(sql.raw("create sequence flaky_completions"));
    await db.execute(
      sql.raw(`create function refuse_first_flaky() returns trigger language plpgsql as $$
        begin
          if new.key = 'flaky' and new.status = 'done' and nextval('flaky_completions') = 1 then
            raise exception 'the first completion is refused';
          end if;
          return new;
        end $$`),
    );
    await db.execute(
      sql.raw("create trigger refuse_first_flaky before update on project_tasks for each row execute function refuse_first_flaky()"),
    );
    try {
      const project = await settled(await start("flaky", "Survive a failed write"));
      expect(project.status).toBe("done");
      expect(llm.tasks.filter((call) => call.key === "flaky")).toHaveLength(2);
      const messages = (await t.get(`/api/threads/${project.thread}/messages`)).json as { text: string }[];
      // Posted by both attempts: the first's went out before its completion failed.
      expect(messages.filter((m) => m.text.startsWith("✅ `flaky`"))).toHaveLength(2);
      expect(messages.filter((m) => m.text.startsWith("Result of write."))).toHaveLength(1);
    } finally {
      await db.execute(sql.raw("drop trigger refuse_first_flaky on project_tasks"));
      await db.execute(sql.raw("drop function refuse_first_flaky"));
      await db.execute(sql.raw("drop sequence flaky_completions"));
    }
  });

  it("cancels a running project: running work is aborted and nothing more runs", async () => {
    const llm = scriptProjectLlm(t.llm, { plans: [diamond], taskMs: 4_000 });
    const watcher = await watch("cancel");
    const id = await start("cancel", "Something long");
    await waitFor(() => llm.tasks.some((call) => call.key === "a"), 10_000, "task a to start");
    const reply = await t.post("/api/commands", { channel: "cancel", user: "ann", command: "/project", text: `cancel ${id.slice(0, 8)}` });
    expect(reply.json.text).toContain("Cancelled project");
    const project = await settled(id, 5_000);
    expect(project.status).toBe("cancelled");
    expect(project.tasks.every((task: { status: string }) => task.status === "cancelled")).toBe(true);
    await waitFor(() => watcher.events.some((event) => event.type === "project.done" && event.projectId === id), 10_000, "project.done");
    expect(watcher.events.find((event) => event.type === "project.done")!.text).toContain("was cancelled");
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    watcher.close();
    expect(llm.tasks.map((call) => call.key)).toEqual(["a"]);
    const again = await t.post("/api/commands", { channel: "cancel", user: "ann", command: "/project", text: `cancel ${id}` });
    expect(again.json.text).toContain("already been cancelled");
  });

  it("gives specialists only the tools the channel allows", async () => {
    const llm = scriptProjectLlm(t.llm, {
      plans: [
        [
          { key: "look", capabilities: ["research"] },
          { key: "write", capabilities: ["synthesis"], dependsOn: ["look"] },
        ],
      ],
    });
    await t.post("/api/commands", { channel: "locked", user: "ann", command: "/agent", text: "" });
    await t.app.conversations.updateChannelSettings("web:locked", { deniedTools: ["current_time"] });
    await settled(await start("open", "Look it up"));
    await settled(await start("locked", "Look it up"));
    const looks = llm.tasks.filter((call) => call.key === "look");
    expect(looks[0]!.tools).toContain("current_time");
    expect(looks[1]!.tools).not.toContain("current_time");
    expect(looks[1]!.tools).toContain("recall");
  });

  it("keeps the status message within one message however long the goal", async () => {
    scriptProjectLlm(t.llm, { plans: [diamond] });
    const project = await settled(await start("long", `Investigate ${"a very long goal ".repeat(300)}`));
    const status = async () => ((await t.get(`/api/threads/${project.thread}/messages`)).json as { text: string }[])[0]!.text;
    await waitFor(async () => (await status()).includes("Status: done"), 5_000, "the last status edit");
    expect((await status()).length).toBeLessThanOrEqual(1_900);
  });

  it("lists the channel's projects and answers a bare /project with its usage", async () => {
    const list = await t.post("/api/commands", { channel: "vendors", user: "ann", command: "/project", text: "list" });
    expect(list.json.text).toMatch(/`[0-9a-f]{8}` done: Compare the three vendors/);
    const bare = await t.post("/api/commands", { channel: "vendors", user: "ann", command: "/project", text: "" });
    expect(bare.json.text).toContain("Tell me the goal");
    const unknown = await t.post("/api/commands", { channel: "vendors", user: "ann", command: "/project", text: "status 0000000" });
    expect(unknown.json.text).toContain('No project "0000000"');
    expect((await t.get("/api/projects/nope")).status).toBe(404);
  });
});

describe("/project without Redis", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REDIS_URL: "redis://127.0.0.1:1" });
  });
  afterAll(() => t.stop());

  it("says that background projects need Redis, and chat still works", async () => {
    const { json } = await t.post("/api/commands", { channel: "general", user: "ann", command: "/project", text: "Do a thing" });
    expect(json.text).toContain("Background projects need Redis, which is unreachable at redis://127.0.0.1:1");
    const health = await t.get("/api/health");
    expect(health.json.redis).toContain("unreachable");
  });
});

describe("/project without a language model", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ OPENAI_API_KEY: "", OPENAI_BASE_URL: "" });
  });
  afterAll(() => t.stop());

  it("refuses at once and says what to set", async () => {
    const { json } = await t.post("/api/commands", { channel: "general", user: "ann", command: "/project", text: "Do a thing" });
    expect(json.text).toContain("Projects need a language model: LLM: set OPENAI_API_KEY");
    const list = await t.post("/api/commands", { channel: "general", user: "ann", command: "/project", text: "list" });
    expect(list.json.text).toContain("No projects in this channel yet");
  });
});
