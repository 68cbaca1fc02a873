import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";
import { scratchPostgresUrl } from "../support/databases.js";
import { diamond, type ProjectLlmLog, scriptProjectLlm } from "../support/project-llm.js";
import { waitFor } from "../support/wait.js";
import { fakeLlmEnv, spawnWorker } from "../support/worker-process.js";

async function startProject(t: TestApp, channel: string): Promise<string> {
  const { json } = await t.post("/api/commands", { channel, user: "ann", command: "/project", text: "Survive what happens" });
  const id = /\(id ([0-9a-f-]{36})\)/.exec(json.text)?.[1];
  if (!id) throw new Error(`no project id in: ${json.text}`);
  return id;
}

// Each test waits for whole projects (up to 75 s of its own waits under load): more than the default 30 s.
const SLOW_TEST_MS = 120_000;

async function finished(t: TestApp, id: string, timeoutMs: number) {
  await waitFor(async () => (await t.get(`/api/projects/${id}`)).json.reportedAt !== null, timeoutMs, `project ${id} to report`);
  return (await t.get(`/api/projects/${id}`)).json;
}

async function reportsIn(t: TestApp, thread: string): Promise<number> {
  const messages = (await t.get(`/api/threads/${thread}/messages`)).json as { text: string }[];
  return messages.filter((m) => m.text.includes("FINAL-REPORT")).length;
}

const slowFirstB = (llm: TestApp["llm"]): ProjectLlmLog =>
  scriptProjectLlm(llm, {
    plans: [diamond],
    taskMs: (key, attempt) => (key === "b" && attempt === 0 ? 6_000 : 100),
    work: (key) => (key === "d" ? "FINAL-REPORT" : `Result of ${key}.`),
  });

describe("project durability", () => {
  const workers: ChildProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const worker of workers.splice(0)) worker.kill("SIGKILL");
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    for (const worker of workers) worker.kill("SIGKILL");
  });

  it(
    "completes with one report when a worker process is killed with SIGKILL mid-task",
    async () => {
      const db = await scratchPostgresUrl();
      cleanups.push(db.drop);
      const prefix = `qtest-${randomBytes(4).toString("hex")}`;
      const settings = { DATABASE_URL: db.url, REDIS_PREFIX: prefix, JOB_LOCK_MS: "1500", PROJECT_RETRY_BACKOFF_MS: "50" };
      const t = await startTestApp({ ...settings, WORKERS: "off" });
      cleanups.push(() => t.stop());
      const llm = slowFirstB(t.llm);
      const worker = () => {
        const child = spawnWorker({ ...settings, ...fakeLlmEnv(t.llm.url) });
        workers.push(child);
        return child;
      };

      const first = worker();
      const id = await startProject(t, "durable");
      await waitFor(() => llm.tasks.some((call) => call.key === "b"), 30_000, "task b to start in the first worker");
      first.kill("SIGKILL");
      await new Promise((resolve) => first.once("exit", resolve));
      worker();

      const project = await finished(t, id, 45_000);
      expect(project.status).toBe("done");
      expect(project.tasks.every((task: { status: string }) => task.status === "done")).toBe(true);
      // b ran again after its worker died; nothing else ran twice.
      expect(llm.tasks.filter((call) => call.key === "b").length).toBeGreaterThanOrEqual(2);
      expect(llm.tasks.filter((call) => call.key === "d")).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await reportsIn(t, project.thread)).toBe(1);
    },
    SLOW_TEST_MS,
  );

  it(
    "completes with one report when Redis loses every job (a restart without persistence)",
    async () => {
      const prefix = `qtest-${randomBytes(4).toString("hex")}`;
      const t = await startTestApp({ REDIS_PREFIX: prefix, JOB_LOCK_MS: "1500" });
      cleanups.push(() => t.stop());
      const llm = slowFirstB(t.llm);
      const id = await startProject(t, "amnesia");
      await waitFor(() => llm.tasks.some((call) => call.key === "b"), 15_000, "task b to start");

      const redis = new Redis("redis://127.0.0.1:6379");
      const keys = await redis.keys(`${prefix}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
      await redis.quit();

      const project = await finished(t, id, 45_000);
      expect(project.status).toBe("done");
      expect(llm.tasks.filter((call) => call.key === "d")).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await reportsIn(t, project.thread)).toBe(1);
    },
    SLOW_TEST_MS,
  );

  it(
    "ends a project that cannot finish in time as failed, says why, and stops its running work",
    async () => {
      const t = await startTestApp({ PROJECT_TIMEOUT_MS: "2000" });
      cleanups.push(() => t.stop());
      const llm = scriptProjectLlm(t.llm, { plans: [diamond], taskMs: (key) => (key === "a" ? 20_000 : 10) });
      const id = await startProject(t, "slow");
      await waitFor(() => llm.tasks.some((call) => call.key === "a"), 15_000, "task a to start");

      const project = await finished(t, id, 20_000);
      expect(project.status).toBe("failed");
      expect(project.error).toBe("it did not finish within 2 seconds");
      expect(project.tasks.every((task: { status: string }) => task.status === "cancelled")).toBe(true);
      const messages = (await t.get(`/api/threads/${project.thread}/messages`)).json as { text: string }[];
      expect(messages.at(-1)!.text).toContain("failed: it did not finish within");
      expect(llm.tasks.map((call) => call.key)).toEqual(["a"]);
    },
    SLOW_TEST_MS,
  );
});
