import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";
import { freePort } from "../support/ports.js";
import { diamond, scriptProjectLlm } from "../support/project-llm.js";
import { waitFor } from "../support/wait.js";

/**
 * /project's commands while Redis stops answering, with a Redis of this test's own (the shared one
 * stays up): first it hangs (SIGSTOP: connections stay open, nothing answers), then it is gone.
 * Each command must answer, saying so, within its test's timeout; chat goes on.
 */
describe("/project while Redis is down", () => {
  let t: TestApp;
  let redis: ChildProcess;
  let dir: string;
  let port: number;
  let projectId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "quorum-redis-"));
    port = await freePort();
    redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
      stdio: "ignore",
    });
    t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}`, PROJECT_RETRY_BACKOFF_MS: "50" });
    await waitFor(async () => (await t.get("/api/health")).json.redis === "ok", 10_000, "the test's Redis");
    // Tasks that take long enough to still be running when Redis goes; chat (no task key) answers at once.
    scriptProjectLlm(t.llm, { plans: [diamond], taskMs: (key) => (key === "?" ? 0 : 20_000) });
    const { json } = await t.post("/api/commands", { channel: "ops", user: "ann", command: "/project", text: "Watch the vendors" });
    projectId = /\(id ([0-9a-f-]{36})\)/.exec(json.text)?.[1] ?? "";
    expect(projectId).not.toBe("");
  });
  afterAll(async () => {
    redis?.kill("SIGKILL");
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const command = async (text: string) =>
    (await t.post("/api/commands", { channel: "ops", user: "ann", command: "/project", text })).json.text as string;

  it("says Redis does not answer when it hangs, and cancels nothing", { timeout: 8_000 }, async () => {
    redis.kill("SIGSTOP");
    const cancel = await command(`cancel ${projectId.slice(0, 8)}`);
    expect(cancel).toContain(`Redis at redis://127.0.0.1:${port} did not answer; background projects need it`);
    expect(cancel).toContain("Nothing was cancelled");
    expect((await t.get(`/api/projects/${projectId}`)).json.status).not.toBe("cancelled");
  });

  it("lists the projects with the same warning", { timeout: 8_000 }, async () => {
    const list = await command("list");
    expect(list).toContain("Watch the vendors");
    expect(list).toContain(`Redis at redis://127.0.0.1:${port} did not answer`);
  });

  it("answers /project GOAL, cancel and list once Redis is gone, and chat still works", { timeout: 12_000 }, async () => {
    redis.kill("SIGKILL");
    await new Promise((resolve) => redis.once("exit", resolve));
    expect(await command("Another goal")).toContain(`Background projects need Redis, which is unreachable at redis://127.0.0.1:${port}`);
    expect(await command(`cancel ${projectId.slice(0, 8)}`)).toContain("did not answer; background projects need it");
    expect(await command("list")).toContain("did not answer");
    const chat = await t.post("/api/chat", { channel: "ops", user: "ann", text: "still there?" });
    expect(chat.status).toBe(200);
    expect(chat.json.failed).toBeUndefined();
    expect(chat.json.reply.text).not.toBe("");
  });
});
