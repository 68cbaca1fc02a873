import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { sql } from "drizzle-orm";
import type { Redis } from "ioredis";
import type { Db } from "../src/db/client.js";
import type { FakeLlm } from "../test/fakes/llm.js";
import { lastUserText } from "../test/support/scripted-llm.js";
import { waitFor } from "../test/support/wait.js";
import { appNodeArgs, stopWorker } from "../test/support/worker-process.js";
import { processCpuMs } from "./cpu.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface BareRun {
  /** Each job's time on its slot beyond its model call, sorted. */
  overheads: number[];
  /** Total time over the model time spread over every slot. */
  efficiency: number;
  /** Both workers' CPU time per job, in ms (Linux). */
  cpuPerJobMs: number;
}

/**
 * The floor under the projects bench's overheads on this machine: `jobs` independent BullMQ jobs
 * on the same workers × slots, each one model call to the same fake (answering after `modelMs`)
 * and one row written, by a plain worker (bench/bare-worker.mjs) with nothing of ours in it.
 */
export async function bareJobs(
  llm: FakeLlm,
  db: Db,
  settings: { DATABASE_URL: string; REDIS_PREFIX: string },
  redis: Redis,
  options: { jobs: number; workers: number; concurrency: number; modelMs: number },
): Promise<BareRun> {
  await db.execute(sql`create table if not exists bare_results (job text, result text)`);
  const calls = new Map<string, number>();
  llm.mock.clearFixtures();
  llm.mock.addFixture({
    match: { predicate: () => true },
    response: async (request) => {
      const start = Date.now();
      await sleep(options.modelMs);
      calls.set(/bare job (\S+)/.exec(lastUserText(request))?.[1] ?? "?", Date.now() - start);
      return { content: "Done." };
    },
  });
  const prefix = `${settings.REDIS_PREFIX}-bare`;
  const queue = new Queue("bare", { connection: redis, prefix });
  const env = {
    ...process.env,
    ...settings,
    REDIS_PREFIX: prefix,
    OPENAI_BASE_URL: llm.url,
    WORKER_CONCURRENCY: String(options.concurrency),
  };
  const workers = Array.from({ length: options.workers }, () =>
    spawn(process.execPath, [...appNodeArgs, "bench/bare-worker.mjs"], { cwd: root, env, stdio: "ignore" }),
  );
  const run = async (count: number, tag: string) => {
    const jobs = await queue.addBulk(Array.from({ length: count }, (_, i) => ({ name: "bare", data: {}, opts: { jobId: `${tag}-${i}` } })));
    await waitFor(async () => ((await queue.getJobCounts("completed")).completed ?? 0) >= count, 600_000, `${count} bare jobs`, 250);
    return jobs;
  };
  try {
    await run(20, "warm");
    await queue.clean(0, 0, "completed");
    calls.clear();
    const workersCpuMs = () => workers.reduce((sum, child) => sum + processCpuMs(child.pid!), 0);
    const cpuBefore = workersCpuMs();
    const startedAt = Date.now();
    const jobs = await run(options.jobs, "bench");
    const cpuPerJobMs = (workersCpuMs() - cpuBefore) / options.jobs;
    const overheads: number[] = [];
    let modelMs = 0;
    let lastFinishedOn = 0;
    for (const { id } of jobs) {
      const job = await queue.getJob(id!);
      if (job?.finishedOn) lastFinishedOn = Math.max(lastFinishedOn, job.finishedOn);
      const ms = calls.get(id!);
      if (!job?.processedOn || !job.finishedOn || ms === undefined) continue;
      modelMs += ms;
      overheads.push(job.finishedOn - job.processedOn - ms);
    }
    return {
      overheads: overheads.sort((a, b) => a - b),
      // Until the last job ended, as the projects' total is taken.
      efficiency: (lastFinishedOn - startedAt) / (modelMs / (options.workers * options.concurrency)),
      cpuPerJobMs,
    };
  } finally {
    await Promise.all(workers.map(stopWorker));
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}
