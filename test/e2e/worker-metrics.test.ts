import { randomBytes } from "node:crypto";
import { expect, it } from "vitest";
import { startTestApp } from "../support/app.js";
import { scratchPostgresUrl } from "../support/databases.js";
import { freePort } from "../support/ports.js";
import { scriptProjectLlm } from "../support/project-llm.js";
import { waitFor } from "../support/wait.js";
import { fakeLlmEnv, spawnWorker, stopWorker } from "../support/worker-process.js";

/** The value of one sample line of a Prometheus text exposition, or undefined. */
function sample(body: string, line: RegExp): number | undefined {
  const found = body.split("\n").find((text) => line.test(text));
  return found === undefined ? undefined : Number(found.split(" ").at(-1));
}

it("serves a worker's token and tool counters on METRICS_PORT, to METRICS_TOKEN alone", async () => {
  const db = await scratchPostgresUrl();
  const token = randomBytes(16).toString("hex");
  const settings = { DATABASE_URL: db.url, REDIS_PREFIX: `qtest-${randomBytes(4).toString("hex")}`, LLM_TIMEOUT_MS: "30000" };
  const t = await startTestApp({ ...settings, WORKERS: "off" });
  const port = await freePort();
  const worker = spawnWorker({ ...settings, ...fakeLlmEnv(t.llm.url), METRICS_PORT: String(port), METRICS_TOKEN: token });
  const url = `http://127.0.0.1:${port}`;
  const scrape = (headers: Record<string, string> = { authorization: `Bearer ${token}` }, path = "/metrics") =>
    fetch(`${url}${path}`, { headers }).then(async (response) => ({ status: response.status, body: await response.text() }));
  try {
    await waitFor(
      () =>
        scrape().then(
          ({ status }) => status === 200,
          () => false,
        ),
      30_000,
      "the worker's metrics to listen",
    );
    expect((await scrape({})).status).toBe(401);
    expect((await scrape({ authorization: `Bearer ${t.token}` })).status).toBe(401);
    expect((await scrape(undefined, "/api/health")).status).toBe(404);
    const before = await scrape();
    expect(sample(before.body, /^quorum_llm_tokens_total\{/)).toBeUndefined();

    scriptProjectLlm(t.llm, { plans: [[{ key: "tides", capabilities: ["research"] }]] });
    const { json } = await t.post("/api/commands", { channel: "metered", user: "ada", command: "/project", text: "Chart the tides" });
    const id = /\(id ([0-9a-f-]{36})\)/.exec(json.text)?.[1];
    if (!id) throw new Error(`no project id in: ${json.text}`);
    await waitFor(async () => (await t.get(`/api/projects/${id}`)).json.reportedAt !== null, 30_000, "the project to report");

    // The plan and the task ran in the worker: their tokens are counted there, not in the app.
    const after = (await scrape()).body;
    expect(sample(after, /^quorum_llm_tokens_total\{model="fake-model",kind="prompt"\}/)).toBeGreaterThan(0);
    expect(sample(after, /^quorum_llm_tokens_total\{model="fake-model",kind="completion"\}/)).toBeGreaterThan(0);
    expect(after).toContain("# TYPE quorum_tool_calls_total counter");
    expect(after).toMatch(/^quorum_projects_total\{status="done"\} 1$/m);
  } finally {
    await stopWorker(worker);
    await t.stop();
    await db.drop();
  }
});
