import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { inArray, sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { rowsOf } from "../src/db/rows.js";
import { projects } from "../src/db/schema.js";
import { jobIds, POST_QUEUE, PROJECT_QUEUE } from "../src/jobs/queue.js";
import { startTestApp } from "../test/support/app.js";
import { scratchPostgresUrl } from "../test/support/databases.js";
import { diamond, type ProjectLlmLog, scriptProjectLlm } from "../test/support/project-llm.js";
import { waitFor } from "../test/support/wait.js";
import { fakeLlmEnv, spawnWorker, stopWorker } from "../test/support/worker-process.js";
import { buildOnce } from "./built.js";
import { processCpuMs } from "./cpu.js";
import { bareJobs } from "./projects-bare.js";
import { type BenchResult, percentile } from "./result.js";

const MODEL_MS = 50;
const TASKS = diamond.map((task) => task.key);

/**
 * 200 diamond projects (plan → a → b ∥ c → d, the report) through two worker processes of two
 * slots each, on Postgres and Redis, with a fake model that answers every call, the coordinator's
 * too, after 50 ms.
 *
 * Efficiency is the total time over the least the model alone allows: the longer of the critical
 * path and all model time spread over every slot. A task's overhead is the time its job held a
 * slot beyond its model call: the pickup, the reads and conditional updates, queueing what it
 * made ready, posting its progress.
 */
export async function benchProjects(options = { projects: 200, workers: 2, concurrency: 2 }): Promise<BenchResult[]> {
  const db = await scratchPostgresUrl();
  const prefix = `qbench-${randomBytes(4).toString("hex")}`;
  const settings = {
    DATABASE_URL: db.url,
    REDIS_PREFIX: prefix,
    WORKER_CONCURRENCY: String(options.concurrency),
    PROJECT_TIMEOUT_MS: "600000",
  };
  const t = await startTestApp({ ...settings, WORKERS: "off" });
  const llm = scriptProjectLlm(t.llm, { plans: [diamond], taskMs: MODEL_MS, planMs: MODEL_MS });
  const children: ChildProcess[] = [];
  const redis = new Redis("redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
  const queue = new Queue(PROJECT_QUEUE, { connection: redis, prefix });
  const posts = new Queue(POST_QUEUE, { connection: redis, prefix });
  // Status edits reach the console through Redis: count them per project.
  const events = redis.duplicate();
  const edits = new Map<string, number>();
  events.on("message", (_channel: string, message: string) => {
    const event = JSON.parse(message) as { type: string; projectId?: string };
    if (event.type === "project.progress" && event.projectId) edits.set(event.projectId, (edits.get(event.projectId) ?? 0) + 1);
  });
  await events.subscribe(`${prefix}:console-events`);
  try {
    for (let i = 0; i < options.workers; i++) children.push(spawnWorker({ ...settings, ...fakeLlmEnv(t.llm.url) }, buildOnce()));
    // Workers are ready once one has run a warm-up project.
    await runProjects(t, 1, "warm");

    const startedAt = Date.now();
    const workersCpuMs = () => children.reduce((sum, child) => sum + processCpuMs(child.pid!), 0);
    const cpuBefore = workersCpuMs();
    const ids = await runProjects(t, options.projects, "bench");
    const workerCpuMs = workersCpuMs() - cpuBefore;

    const calls = modelCalls(llm, startedAt);
    const modelSeconds = calls.reduce((sum, call) => sum + call.ms, 0) / 1000;
    const meanCallMs = (modelSeconds * 1000) / calls.length;
    const slots = options.workers * options.concurrency;
    const critical = criticalPathMs(calls) / 1000;
    const bound = Math.max(critical, modelSeconds / slots);
    const { tasks, plans, busyMs, lastFinishedOn } = await overheads(t, queue, ids, calls);
    // Until the last job ended, not until the poll saw it: the watching neither adds nor loads.
    const seconds = (lastFinishedOn - startedAt) / 1000;
    const name = `projects (${options.projects} diamonds, ${options.workers} workers × ${options.concurrency} slots, ${MODEL_MS} ms model)`;
    const perProject = ids.map((id) => edits.get(id) ?? 0).sort((a, b) => a - b);
    // The floor: as many plain jobs, each one model call and one row, on the same slots.
    for (const child of children.splice(0)) await stopWorker(child);
    const bare = await bareJobs(t.llm, t.app.database.db, settings, redis, { jobs: calls.length, ...options, modelMs: MODEL_MS });
    const bareNote = `${calls.length} plain BullMQ jobs (bench/bare-worker.mjs): one model call and one row each, same fake and slots`;
    return [
      {
        name,
        metric: "efficiency",
        value: seconds / bound,
        unit: "×",
        note: `goal < 1.15; total ${seconds.toFixed(2)} s ÷ max(critical path ${critical.toFixed(2)} s, model time ${modelSeconds.toFixed(2)} s ÷ ${slots} slots)`,
      },
      {
        name,
        metric: "per-task overhead p50",
        value: percentile(tasks, 50),
        unit: "ms",
        note: "goal < 5 ms; a task job's time on its slot beyond its model call",
      },
      { name, metric: "per-task overhead p99", value: percentile(tasks, 99), unit: "ms", note: spread(tasks) },
      { name, metric: "plan job overhead p50", value: percentile(plans, 50), unit: "ms" },
      {
        name,
        metric: "slot occupancy",
        value: busyMs / (slots * seconds * 1000),
        unit: "×",
        note: "the plan and task jobs' time on slots ÷ (slots × total): the rest, slots waited for work",
      },
      { name, metric: "total", value: seconds, unit: "s", note: `model calls ${calls.length}, mean ${meanCallMs.toFixed(1)} ms` },
      {
        name,
        metric: "worker CPU per model call",
        value: workerCpuMs / calls.length,
        unit: "ms",
        note: "both worker processes' CPU time over the run (Linux), status edits and sweeps included",
      },
      { name, metric: "bare jobs' efficiency", value: bare.efficiency, unit: "×", note: bareNote },
      {
        name,
        metric: "efficiency over the bare jobs'",
        value: seconds / bound / bare.efficiency,
        unit: "×",
        note: "goal < 1.15, restated: the bare jobs alone take most of the first statement of the goal",
      },
      {
        name,
        metric: "per-task overhead beyond the bare p50",
        value: percentile(tasks, 50) - percentile(bare.overheads, 50),
        unit: "ms",
        note: "goal < 5 ms, restated: the bare floor alone is over the first statement of the goal",
      },
      {
        name,
        metric: "bare job overhead p50",
        value: percentile(bare.overheads, 50),
        unit: "ms",
        note: "the floor under per-task overhead on this machine",
      },
      { name, metric: "bare job overhead p99", value: percentile(bare.overheads, 99), unit: "ms", note: spread(bare.overheads) },
      {
        name,
        metric: "bare workers' CPU per job",
        value: bare.cpuPerJobMs,
        unit: "ms",
        note: "against the workers' CPU per model call above",
      },
      {
        name,
        metric: "status edits per project p50",
        value: percentile(perProject, 50),
        unit: "edits",
        note: `max ${perProject.at(-1)}`,
      },
    ];
  } finally {
    await Promise.all(children.map(stopWorker));
    for (const q of [queue, posts]) {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
    events.disconnect();
    redis.disconnect();
    await t.stop();
    await db.drop();
  }
}

/** The rest of a sorted distribution: its mean, not its p50, is what efficiency pays. */
function spread(sorted: number[]): string {
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return `p75 ${percentile(sorted, 75)}, p90 ${percentile(sorted, 90)}, p95 ${percentile(sorted, 95)}, mean ${mean.toFixed(1)} ms`;
}

async function runProjects(t: Awaited<ReturnType<typeof startTestApp>>, count: number, channel: string): Promise<string[]> {
  const ids = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const { json } = await t.post("/api/commands", {
        channel: `${channel}-${i % 20}`,
        user: "ann",
        command: "/project",
        text: `${channel} project ${i}`,
      });
      const id = /\(id ([0-9a-f-]{36})\)/.exec(json.text)?.[1];
      if (!id) throw new Error(`no project id in: ${json.text}`);
      return id;
    }),
  );
  // One small query per poll, its ids one array parameter, and seldom, so that watching costs the
  // machine next to nothing: the total is taken from the jobs' own end times (see `overheads`).
  const { db } = t.app.database;
  await waitFor(
    async () => {
      const [row] = rowsOf<{ done: number; bad: string | null }>(
        await db.execute(sql`
          select count(*) filter (where status = 'done')::int as done,
                 max(status || ': ' || coalesce(error, '')) filter (where status in ('failed', 'cancelled')) as bad
          from ${projects} where id = any(${`{${ids.join(",")}}`}::text[])`),
      );
      if (row?.bad) throw new Error(`a project ${row.bad}`);
      return row?.done === ids.length;
    },
    600_000,
    `${count} projects to finish`,
    250,
  );
  return ids;
}

interface ModelCall {
  goal: string;
  /** The task's key; "plan" for the coordinator's call. */
  key: string;
  ms: number;
}

/** Every model call that started at or after `since`. */
function modelCalls(llm: ProjectLlmLog, since: number): ModelCall[] {
  return [
    ...llm.planTimes.filter((call) => call.start >= since).map((call) => ({ goal: call.goal, key: "plan", ms: call.end - call.start })),
    ...llm.tasks.filter((call) => call.start >= since).map((call) => ({ goal: call.goal, key: call.key, ms: call.end - call.start })),
  ];
}

/**
 * The longest model time along one project's dependencies (its plan, then the diamond's longest
 * chain of task calls), over every project: no schedule finishes sooner. A task called more than
 * once (a retry) counts with all its calls.
 */
function criticalPathMs(calls: ModelCall[]): number {
  const byGoal = new Map<string, Map<string, number>>();
  for (const call of calls) {
    const ms = byGoal.get(call.goal) ?? new Map<string, number>();
    byGoal.set(call.goal, ms.set(call.key, (ms.get(call.key) ?? 0) + call.ms));
  }
  let longest = 0;
  for (const ms of byGoal.values()) {
    const done = new Map<string, number>();
    // The diamond lists every task after those it depends on.
    for (const task of diamond) {
      const after = Math.max(0, ...(task.dependsOn ?? []).map((key) => done.get(key) ?? 0));
      done.set(task.key, after + (ms.get(task.key) ?? 0));
    }
    longest = Math.max(longest, (ms.get("plan") ?? 0) + Math.max(...done.values()));
  }
  return longest;
}

/**
 * Per task job and per plan job: its time on a slot (BullMQ's processedOn → finishedOn) minus its
 * model call's; and when the last of them ended.
 */
async function overheads(t: Awaited<ReturnType<typeof startTestApp>>, queue: Queue, ids: string[], calls: ModelCall[]) {
  const rows = await t.app.database.db.select({ id: projects.id, goal: projects.goal }).from(projects).where(inArray(projects.id, ids));
  const goals = new Map(rows.map((row) => [row.id, row.goal]));
  const byCall = new Map<string, number[]>();
  for (const call of calls) byCall.set(`${call.goal}\n${call.key}`, [...(byCall.get(`${call.goal}\n${call.key}`) ?? []), call.ms]);
  const tasks: number[] = [];
  const plans: number[] = [];
  let busyMs = 0;
  let lastFinishedOn = 0;
  for (const id of ids) {
    const goal = goals.get(id);
    for (const key of ["plan", ...TASKS]) {
      const model = byCall.get(`${goal}\n${key}`);
      const job = await queue.getJob(key === "plan" ? jobIds.plan(id) : jobIds.task(id, key));
      if (job?.finishedOn) lastFinishedOn = Math.max(lastFinishedOn, job.finishedOn);
      if (job?.processedOn && job.finishedOn) busyMs += job.finishedOn - job.processedOn;
      // A job run more than once (a retry) has no single model call to set against it.
      if (!job?.processedOn || !job.finishedOn || model?.length !== 1 || job.attemptsMade > 1) continue;
      (key === "plan" ? plans : tasks).push(job.finishedOn - job.processedOn - model[0]!);
    }
  }
  return { tasks: tasks.sort((a, b) => a - b), plans: plans.sort((a, b) => a - b), busyMs, lastFinishedOn };
}
