import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ApprovalStore } from "../../src/agents/approvals/approval-store.js";
import { projects } from "../../src/db/schema.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { type CourierCall, courierMcp, courierSpecialist, SEND_TOOL, scriptCourierLlm } from "../support/courier.js";
import { scratchPostgresUrl } from "../support/databases.js";
import { waitFor } from "../support/wait.js";

interface ConsoleEvent {
  type: string;
  thread?: string;
  projectId?: string;
  text?: string;
  id?: string;
  state?: string;
  approval?: { id: string; tool: string; args: unknown; asker: { id: string; name: string } };
}

interface TaskView {
  key: string;
  status: string;
}

/**
 * A project's specialist calls an outside tool (an MCP tool not marked read-only): under the
 * default TOOL_APPROVAL the task waits for the project's creator, asked in the project's thread.
 * Real BullMQ on the local Redis, a fake LLM, the fake MCP server; PGlite and Postgres.
 */
describe.each(["PGlite", "Postgres"])("/project with a call that waits for approval (%s)", (engine) => {
  let t: TestApp;
  let dir: string;
  let sentFile: string;
  let llm: CourierCall[];
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "quorum-sent-"));
    sentFile = join(dir, "sent.txt");
    const postgres = engine === "Postgres" ? await scratchPostgresUrl() : undefined;
    dropDatabase = postgres?.drop;
    t = await startTestApp({
      MCP_SERVERS: courierMcp(sentFile),
      SPECIALISTS: courierSpecialist,
      PROJECT_RETRY_BACKOFF_MS: "50",
      ...(postgres && { DATABASE_URL: postgres.url }),
    });
    llm = scriptCourierLlm(t.llm);
  });
  afterAll(async () => {
    await t?.stop();
    await dropDatabase?.();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the console's browsers watching `channel` are sent. */
  async function watch(channel: string): Promise<{ events: ConsoleEvent[]; close(): void }> {
    const ws = new WebSocket(`${t.app.url.replace("http", "ws")}/api/events?channel=${channel}`, { headers: t.auth });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const events: ConsoleEvent[] = [];
    ws.on("message", (data) => events.push(JSON.parse(String(data))));
    return { events, close: () => ws.close() };
  }

  async function start(channel: string, goal: string): Promise<string> {
    const { json } = await t.post("/api/commands", { channel, user: "ann", command: "/project", text: goal });
    const id = /\(id ([0-9a-f-]{36})\)/.exec(json.text)?.[1];
    if (!id) throw new Error(`no project id in: ${json.text}`);
    return id;
  }

  /** A project started in `channel` whose `deliver` task now waits: the prompt its thread was sent, and the project. */
  async function waiting(channel: string, recipient: string) {
    const watcher = await watch(channel);
    const id = await start(channel, `Greet ${recipient} for us`);
    await waitFor(() => watcher.events.some((event) => event.type === "approval.requested"), 20_000, "the approval prompt");
    const asked = watcher.events.find((event) => event.type === "approval.requested")!;
    const project = (await t.get(`/api/projects/${id}`)).json;
    return { id, project, asked, watcher };
  }

  /** The project once it has ended and its final message is in the thread. */
  async function settled(id: string) {
    await waitFor(async () => (await t.get(`/api/projects/${id}`)).json.reportedAt !== null, 30_000, `project ${id} to report`);
    return (await t.get(`/api/projects/${id}`)).json;
  }

  const sent = () => (existsSync(sentFile) ? readFileSync(sentFile, "utf8") : "");
  /** The model calls of the `deliver` task of the project greeting `recipient`. */
  const delivers = (recipient: string) => llm.filter((call) => call.key === "deliver" && call.recipient === recipient);

  it("asks the creator in the project's thread, waits without running the tool, and goes on once approved", async () => {
    const { id, project, asked, watcher } = await waiting("couriers-a", "vendor-a");
    // The prompt is in the project's thread, names the call and whom it waits for.
    expect(asked.thread).toBe(project.thread);
    expect(asked.approval).toMatchObject({ tool: SEND_TOOL, args: { to: "vendor-a", text: "hello" }, asker: { name: "ann" } });
    // The task waits, the project says so, and the tool has not run.
    expect(project.status).toBe("running");
    expect(project.tasks.map((task: TaskView) => [task.key, task.status])).toEqual([
      ["deliver", "waiting_approval"],
      ["report", "pending"],
    ]);
    const status = await t.post("/api/commands", { channel: "couriers-a", user: "ann", command: "/project", text: `status ${id}` });
    expect(status.json.text).toContain("Status: waiting for approval");
    expect(status.json.text).toMatch(/⏸️ `deliver` courier · waiting for approval/);
    expect(status.json.text).toContain("deliver: waits for approval to run ext__send");
    await waitFor(
      () => watcher.events.some((event) => event.type === "project.progress" && event.text!.includes("Status: waiting for approval")),
      10_000,
      "the status message to say the project waits",
    );
    expect(sent()).not.toContain("vendor-a");
    expect(delivers("vendor-a")).toHaveLength(1);
    // While it waits, the project's clock is stopped.
    const [row] = await t.app.database.db.select().from(projects).where(eq(projects.id, id));
    expect(row!.waitingSince).not.toBeNull();

    const decided = await t.post(`/api/approvals/${asked.approval!.id}`, { approve: true });
    expect(decided.status).toBe(200);
    expect(decided.json.thread).toBe(project.thread);
    expect(decided.json.reply.text).toMatch(/Approved by .* The project's task `deliver` goes on\./);

    const done = await settled(id);
    expect(done.status).toBe("done");
    expect(done.tasks.map((task: TaskView) => task.status)).toEqual(["done", "done"]);
    expect(done.report).toMatch(/^REPORT: Delivered: .*sent to vendor-a/);
    // The tool ran once, and the model saw what it returned.
    expect(sent().match(/vendor-a: hello/g)).toHaveLength(1);
    expect(delivers("vendor-a").at(-1)!.toolResults.join()).toContain("sent to vendor-a");
    await waitFor(() => watcher.events.some((event) => event.type === "approval.decided"), 10_000, "approval.decided");
    expect(watcher.events.find((event) => event.type === "approval.decided")).toMatchObject({ id: asked.approval!.id, state: "approved" });
    watcher.close();
    // Time spent waiting is kept apart from the project's working time.
    const [after] = await t.app.database.db.select().from(projects).where(eq(projects.id, id));
    expect(after!.waitingSince).toBeNull();
    expect(after!.waitedMs).toBeGreaterThan(0);

    const again = await t.post(`/api/approvals/${asked.approval!.id}`, { approve: false });
    expect(again.status).toBe(409);
  });

  it("tells the model a denied call was declined, and completes the project without it", async () => {
    const { id, asked, watcher } = await waiting("couriers-b", "vendor-b");
    watcher.close();
    const decided = await t.post(`/api/approvals/${asked.approval!.id}`, { approve: false });
    expect(decided.status).toBe(200);
    expect(decided.json.reply.text).toMatch(/Denied by /);

    const done = await settled(id);
    expect(done.status).toBe("done");
    expect(done.report).toBe("REPORT: Delivered: nothing, the send was declined.");
    expect(sent()).not.toContain("vendor-b");
    const [first, second] = delivers("vendor-b");
    expect(first!.toolResults).toEqual([]);
    expect(second!.toolResults.join()).toContain("declined this call, so it did not run");
  });

  it("goes on from a decision whose job never reached the queue: the workers' sweep queues it", async () => {
    const { id, asked, watcher } = await waiting("couriers-c", "vendor-c");
    watcher.close();
    // Decided in Postgres alone, as when the deciding process died before it queued the job.
    const store = new ApprovalStore(t.app.database.db);
    const row = await store.get("web", asked.approval!.id);
    expect((await store.decide(row!, true, "ann")).decided).toBe(true);

    const done = await settled(id);
    expect(done.status).toBe("done");
    expect(sent().match(/vendor-c: hello/g)).toHaveLength(1);
  });

  // The approval sweep runs every 15 s: more than the default 30 s for the whole test.
  it("takes the buttons away when the project is cancelled while it waits", { timeout: 60_000 }, async () => {
    const { id, asked, watcher } = await waiting("couriers-d", "vendor-d");
    const reply = await t.post("/api/commands", { channel: "couriers-d", user: "ann", command: "/project", text: `cancel ${id}` });
    expect(reply.json.text).toContain("Cancelled project");
    const project = await settled(id);
    expect(project.status).toBe("cancelled");
    expect(project.tasks.map((task: TaskView) => task.status)).toEqual(["cancelled", "cancelled"]);
    // The next approval sweep expires it.
    await waitFor(
      () => watcher.events.some((event) => event.type === "approval.decided" && event.id === asked.approval!.id),
      30_000,
      "the prompt to be closed",
    );
    watcher.close();
    expect(watcher.events.find((event) => event.type === "approval.decided")!.state).toBe("expired");
    const late = await t.post(`/api/approvals/${asked.approval!.id}`, { approve: true });
    expect(late.status).toBe(410);
    expect(sent()).not.toContain("vendor-d");
  });
});
