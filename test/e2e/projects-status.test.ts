import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Leases } from "../../src/jobs/lease.js";
import { LuaScript } from "../../src/jobs/lua-script.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { scriptProjectLlm } from "../support/project-llm.js";
import { waitFor } from "../support/wait.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a status edit is due: the lease script every process asks, on the local Redis. */
describe("Leases.due", () => {
  const redis = new Redis("redis://127.0.0.1:6379");
  const leases = new Leases(redis, `qtest-${randomBytes(4).toString("hex")}`);
  afterAll(() => redis.quit());

  it("is due for a state not shown yet, and not again for the same state", async () => {
    expect(await leases.due("edit:p1", 60_000, "status:p1", "a")).toEqual({ is: "edit" });
    // Taken while the edit is written: another process waits.
    expect(await leases.due("edit:p1", 60_000, "status:p1", "b")).toMatchObject({ is: "busy" });
    expect(await leases.shown("edit:p1", 1, "status:p1", "a")).toBe(false);
    await sleep(5);
    expect(await leases.due("edit:p1", 60_000, "status:p1", "a")).toEqual({ is: "shown" });
    expect(await leases.due("edit:p1", 60_000, "status:p1", "b")).toEqual({ is: "edit" });
  });

  it("is due for the same state once a tick passed since it was shown, its edit queued once", async () => {
    const tick = { name: "tick:p2", ms: 60_000 };
    // The edit's caller queues the next tick's edit; nobody else does while it is queued.
    expect(await leases.shown("edit:p2", 1, "status:p2", "a", tick)).toBe(true);
    await sleep(5);
    expect(await leases.due("edit:p2", 60_000, "status:p2", "a", tick)).toEqual({ is: "shown" });
    expect(await leases.shown("edit:p2", 1, "status:p2", "a", tick)).toBe(false);
    // Without a tick (an ended project), never due.
    expect(await leases.due("edit:p2", 60_000, "status:p2", "a")).toEqual({ is: "shown" });
    // A short tick: due once it passed.
    const short = { name: "tick:p3", ms: 10 };
    await leases.shown("edit:p3", 1, "status:p3", "a", short);
    await sleep(20);
    expect(await leases.due("edit:p3", 60_000, "status:p3", "a", short)).toEqual({ is: "edit" });
  });

  it("has the edit that finds its tick not due yet queue the next, when none is queued", async () => {
    const tick = { name: "tick:p4", ms: 60_000 };
    await leases.shown("edit:p4", 1, "status:p4", "a", tick);
    await leases.release("tick:p4");
    const due = await leases.due("edit:p4", 60_000, "status:p4", "a", tick);
    expect(due).toMatchObject({ is: "shown" });
    expect(due.is === "shown" && due.tickIn).toBeGreaterThan(50_000);
    expect(await leases.due("edit:p4", 60_000, "status:p4", "a", tick)).toEqual({ is: "shown" });
  });
});

/** The lease scripts run by their SHA1, their text sent only to a Redis that does not know them. */
describe("LuaScript", () => {
  const redis = new Redis("redis://127.0.0.1:6379");
  afterAll(() => redis.quit());

  it("sends its text when Redis does not know it, and only its SHA1 once it does", async () => {
    const key = `qtest-${randomBytes(4).toString("hex")}`;
    // Text of its own, so that no other test's cached script is this one.
    const script = new LuaScript(`-- ${key}\nreturn redis.call("incr", KEYS[1])`, 1);
    const monitor = await redis.duplicate().monitor();
    const sent: string[] = [];
    monitor.on("monitor", (_time: string, args: string[]) => {
      if (args.includes(key) && args[0]?.toLowerCase().startsWith("eval")) sent.push(args[0].toLowerCase());
    });
    try {
      expect(await script.run(redis, [key])).toBe(1);
      expect(await script.run(redis, [key])).toBe(2);
      await redis.script("FLUSH");
      expect(await script.run(redis, [key])).toBe(3);
      await waitFor(() => sent.length === 5, 5_000, "the commands seen");
      // Unknown: EVALSHA answers NOSCRIPT and EVAL sends the text; known: EVALSHA alone.
      expect(sent).toEqual(["evalsha", "eval", "evalsha", "evalsha", "eval"]);
    } finally {
      monitor.disconnect();
      await redis.del(key);
    }
  });
});

interface ProgressEvent {
  type: string;
  projectId?: string;
  text?: string;
}

/** A running project's status message shows its clocks moving; with a short tick here (10 s by default). */
describe("the status message of a running project", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PROJECT_STATUS_TICK_MS: "1000", LLM_TIMEOUT_MS: "30000" });
  });
  afterAll(() => t.stop());

  it("is edited as time passes while a task runs, with larger elapsed times, and not once the project ended", {
    timeout: 60_000,
  }, async () => {
    let slowRunning = true;
    scriptProjectLlm(t.llm, {
      plans: [
        [
          { key: "slow", capabilities: ["research"] },
          { key: "report", capabilities: ["synthesis"], dependsOn: ["slow"] },
        ],
      ],
      work: (key) => {
        if (key === "slow") slowRunning = false;
        return `Result of ${key}.`;
      },
      taskMs: (key) => (key === "slow" ? 8_000 : 10),
    });
    const ws = new WebSocket(`${t.app.url.replace("http", "ws")}/api/events?channel=clock`, { headers: t.auth });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const events: ProgressEvent[] = [];
    ws.on("message", (data) => events.push(JSON.parse(String(data))));

    const { json } = await t.post("/api/commands", { channel: "clock", user: "ann", command: "/project", text: "Take your time" });
    const id = /\(id ([0-9a-f-]{36})\)/.exec(json.text)![1]!;
    const edits = () => events.filter((event) => event.type === "project.progress" && event.projectId === id).map((event) => event.text!);
    const running = () => edits().filter((text) => text.includes("🔄 `slow`"));
    // Nothing but time changes while `slow` runs: every edit after the first is a tick.
    await waitFor(() => running().length >= 2 || !slowRunning, 30_000, "ticks while the task runs");
    await waitFor(async () => (await t.get(`/api/projects/${id}`)).json.reportedAt !== null, 30_000, "the report");
    await waitFor(() => edits().some((text) => text.includes("Status: done")), 10_000, "the last edit");

    const ticks = running();
    // On a loaded machine a tick can come late: one edit after the first is the proof that time moves.
    expect(ticks.length, ticks.join("\n---\n")).toBeGreaterThanOrEqual(2);
    const seconds = (text: string, pattern: RegExp) => {
      const [, m, s] = pattern.exec(text) ?? [];
      return Number(m ?? 0) * 60 + Number(s);
    };
    const task = ticks.map((text) => seconds(text, /`slow` research · running · (?:(\d+)m)?(\d+)s/));
    const project = ticks.map((text) => seconds(text, /Status: working · 0\/2 tasks done · (?:(\d+)m)?(\d+)s/));
    for (let i = 1; i < ticks.length; i++) {
      expect(task[i]).toBeGreaterThan(task[i - 1]!);
      expect(project[i]).toBeGreaterThan(project[i - 1]!);
    }

    // Ended: the last state is shown, and ticks stop.
    const final = edits().length;
    await sleep(3_000);
    ws.close();
    expect(edits()).toHaveLength(final);
    expect(edits().at(-1)).toContain("Status: done · 2/2 tasks done");
  });
});
