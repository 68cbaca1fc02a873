import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { inArray } from "drizzle-orm";
import { Redis } from "ioredis";
import { projects } from "../src/db/schema.js";
import { jobIds, POST_QUEUE, PROJECT_QUEUE } from "../src/jobs/queue.js";
import { startTestApp } from "../test/support/app.js";
import { scratchPostgresUrl } from "../test/support/databases.js";
import { diamond, scriptProjectLlm } from "../test/support/project-llm.js";
import { waitFor } from "../test/support/wait.js";
import { fakeLlmEnv, spawnWorker } from "../test/support/worker-process.js";
import { type BenchResult, percentile } from "./result.js";

const LLM_MS = 50;
// Calls on a diamond project's critical path: the plan, then a, b (or c), d.
const CRITICAL_PATH_CALLS = 4;
// Every call a project makes: the plan and its four tasks.
const CALLS_PER_PROJECT = 5;

/**
 * 200 diamond projects through two worker processes (WORKER_CONCURRENCY 4, the default) on
 * Postgres and Redis, with a fake LLM that takes 50 ms per call: total time against the ideal,
 * and per task job the time beyond its LLM call and the wait for a worker.
 */
export async function benchProjects(options = { projects: 200, workers: 2, concurrency: 4 }): Promise<BenchResult[]> {
  const db = await scratchPostgresUrl();
  const prefix = `qbench-${randomBytes(4).toString("hex")}`;
  const settings = {
    DATABASE_URL: db.url,
    REDIS_PREFIX: prefix,
    WORKER_CONCURRENCY: String(options.concurrency),
    PROJECT_TIMEOUT_MS: "600000",
  };
  const t = await startTestApp({ ...settings, WORKERS: "off" });
  scriptProjectLlm(t.llm, { plans: [diamond], taskMs: LLM_MS });
  const children: ChildProcess[] = [];
  const redis = new Redis("redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
  const queue = new Queue(PROJECT_QUEUE, { connection: redis, prefix });
  const posts = new Queue(POST_QUEUE, { connection: redis, prefix });
  try {
    for (let i = 0; i < options.workers; i++) children.push(spawnWorker({ ...settings, ...fakeLlmEnv(t.llm.url) }));
    // Workers are ready once one has run a warm-up project.
    await runProjects(t, 1, "warm");

    const started = performance.now();
    const ids = await runProjects(t, options.projects, "bench");
    const seconds = (performance.now() - started) / 1000;

    const slots = options.workers * options.concurrency;
    const criticalPath = (CRITICAL_PATH_CALLS * LLM_MS) / 1000;
    const ideal = (criticalPath * options.projects) / slots;
    // With fewer slots than ready work, the slots bound it: all the calls spread over every slot.
    const bound = Math.max(criticalPath, (CALLS_PER_PROJECT * LLM_MS * options.projects) / 1000 / slots);
    const { waits, overheads, others } = await jobTimings(queue, ids);
    const name = `projects (${options.projects} diamonds, ${options.workers}×${options.concurrency} slots)`;
    return [
      { name, metric: "total", value: seconds, unit: "s", note: `LLM ${LLM_MS} ms a call` },
      { name, metric: "ideal (critical path × projects ÷ slots)", value: ideal, unit: "s" },
      { name, metric: "ratio to ideal", value: seconds / ideal, unit: "×", note: "goal < 1.3" },
      {
        name,
        metric: "ratio to slot-bound ideal",
        value: seconds / bound,
        unit: "×",
        note: `max(critical path, all calls ÷ slots) = ${bound.toFixed(2)} s`,
      },
      {
        name,
        metric: "task job overhead p50",
        value: percentile(overheads, 50),
        unit: "ms",
        note: `time in a task job beyond its ${LLM_MS} ms LLM call`,
      },
      { name, metric: "task job overhead p99", value: percentile(overheads, 99), unit: "ms" },
      { name, metric: "task job wait p50", value: percentile(waits, 50), unit: "ms", note: "ready (added) → picked up by a worker" },
      { name, metric: "task job wait p99", value: percentile(waits, 99), unit: "ms" },
      ...Object.entries(others).map(([job, times]) => ({
        name,
        metric: `${job} jobs: count, mean ms`,
        value: times.length,
        unit: "jobs",
        note: `mean ${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(1)} ms`,
      })),
    ];
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(
      children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)))),
    );
    for (const q of [queue, posts]) {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
    redis.disconnect();
    await t.stop();
    await db.drop();
  }
}

async function runProjects(t: Awaited<ReturnType<typeof startTestApp>>, count: number, channel: string): Promise<string[]> {
  const ids = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const { json } = await t.post("/api/commands", {
        channel: `${channel}-${i % 20}`,
        user: "ann",
        command: "/project",
        text: `Project ${i}`,
      });
      const id = /\(id ([0-9a-f-]{36})\)/.exec(json.text)?.[1];
      if (!id) throw new Error(`no project id in: ${json.text}`);
      return id;
    }),
  );
  // One query per poll, so that watching costs the machine next to nothing.
  const { db } = t.app.database;
  await waitFor(
    async () => {
      const rows = await db.select({ status: projects.status, error: projects.error }).from(projects).where(inArray(projects.id, ids));
      const bad = rows.find((row) => row.status === "failed" || row.status === "cancelled");
      if (bad) throw new Error(`a project ${bad.status}: ${bad.error}`);
      return rows.every((row) => row.status === "done");
    },
    600_000,
    `${count} projects to finish`,
  );
  return ids;
}

/** Per task job: the wait for a worker and the time beyond the LLM call; other jobs' run times by name. */
async function jobTimings(queue: Queue, ids: string[]) {
  const waits: number[] = [];
  const overheads: number[] = [];
  for (const id of ids)
    for (const key of ["a", "b", "c", "d"]) {
      const job = await queue.getJob(jobIds.task(id, key));
      if (!job?.processedOn || !job.finishedOn) continue;
      waits.push(job.processedOn - job.timestamp);
      overheads.push(job.finishedOn - job.processedOn - LLM_MS);
    }
  const others: Record<string, number[]> = {};
  for (const job of await queue.getJobs(["completed"], 0, -1)) {
    if (job.name === "task" || !job.processedOn || !job.finishedOn) continue;
    others[job.name] = [...(others[job.name] ?? []), job.finishedOn - job.processedOn];
  }
  return { waits: waits.sort((a, b) => a - b), overheads: overheads.sort((a, b) => a - b), others };
}
