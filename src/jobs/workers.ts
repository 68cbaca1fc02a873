import { type Job, type Telemetry, Worker } from "bullmq";
import type { Logger } from "pino";
import type { ApprovalStore } from "../agents/approvals/approval-store.js";
import { validJob } from "./payloads.js";
import type { ProjectRunner } from "./project-runner.js";
import { type ProjectRow, type ProjectStore, type TaskRow, workingMs } from "./project-store.js";
import { bullConnection, cancelChannel, jobIds, POST_QUEUE, PROJECT_QUEUE, type ProjectQueue } from "./queue.js";

const POST_CONCURRENCY = 8;

export interface WorkerSettings {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  /** A job whose worker stops renewing its lock this long is taken over by another worker. */
  lockMs: number;
  /** How long a project may work (waits for a person aside) before it is ended as failed. */
  timeoutMs: number;
  sweepMs?: number;
  /** Tracing: a span per job run, in the trace of whatever queued it. */
  telemetry?: Telemetry | undefined;
}

export interface ProjectWorkers {
  /** Sweeps once now: re-queues lost work, ends projects that can no longer finish. */
  sweep(): Promise<void>;
  /** Stops taking jobs and waits for the running ones, or with `force` drops them (they run again elsewhere). */
  close(options?: { force?: boolean }): Promise<void>;
}

/**
 * Runs project jobs in this process. Several processes may run these side by side: BullMQ hands
 * each job to one, and the sweep repairs what a crash or a Redis restart left behind.
 */
export function startProjectWorkers(
  runner: ProjectRunner,
  store: ProjectStore,
  queue: ProjectQueue,
  approvals: Pick<ApprovalStore, "get">,
  settings: WorkerSettings,
  log: Logger,
): ProjectWorkers {
  const active = new Map<string, Set<string>>();
  const options = {
    prefix: settings.prefix,
    lockDuration: settings.lockMs,
    stalledInterval: settings.lockMs,
    maxStalledCount: 2,
    telemetry: settings.telemetry,
  };
  const worker = new Worker<unknown>(
    PROJECT_QUEUE,
    async (job: Job<unknown>, _token, signal) => {
      const valid = validJob(job);
      const { projectId } = valid.data;
      const ids = active.get(projectId) ?? new Set<string>();
      active.set(projectId, ids.add(job.id!));
      try {
        await runner.process(valid, isLastAttempt(job), signal);
      } finally {
        ids.delete(job.id!);
        if (ids.size === 0) active.delete(projectId);
      }
    },
    { ...options, connection: bullConnection(settings.redisUrl), concurrency: settings.concurrency },
  );
  // Posting waits on platform APIs, not the LLM: its own slots, so agent work never queues behind it.
  const poster = new Worker<unknown>(POST_QUEUE, (job) => runner.process(validJob(job), isLastAttempt(job)), {
    ...options,
    connection: bullConnection(settings.redisUrl),
    concurrency: POST_CONCURRENCY,
  });
  for (const w of [worker, poster]) {
    w.on("error", (error) => log.warn({ err: error }, "project worker error"));
    w.on("failed", (job, error) => log.warn({ job: job?.id, err: error }, "project job failed"));
  }

  // Cancellation reaches the jobs running here through their abort signals.
  const subscriber = bullConnection(settings.redisUrl);
  void subscriber
    .subscribe(cancelChannel(settings.prefix))
    .catch((error: unknown) => log.warn({ err: error }, "cannot hear project cancellations"));
  subscriber.on("message", (_channel: string, projectId: string) => {
    for (const jobId of active.get(projectId) ?? []) worker.cancelJob(jobId, "project cancelled");
  });

  const sweepMs = settings.sweepMs ?? 5_000;
  let sweeping: Promise<void> | undefined;
  const sweep = () => {
    sweeping ??= sweepOnce({ runner, store, queue, approvals }, settings.timeoutMs, sweepMs, log).finally(() => (sweeping = undefined));
    return sweeping;
  };
  const timer = setInterval(() => void sweep().catch((error: unknown) => log.warn({ err: error }, "project sweep failed")), sweepMs);
  timer.unref();
  void sweep().catch((error: unknown) => log.warn({ err: error }, "project sweep failed"));

  return {
    sweep,
    async close({ force = false } = {}) {
      clearInterval(timer);
      subscriber.disconnect();
      if (force) {
        // BullMQ's close waits for a connection that may never come back; give it a moment only.
        const closing = Promise.all([worker.close(true), poster.close(true)]).catch(() => undefined);
        await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
        return;
      }
      await sweeping?.catch(() => undefined);
      await Promise.all([worker.close(), poster.close()]);
      await runner.idle();
    },
  };
}

/** No retry follows if this run of the job fails. */
function isLastAttempt(job: Job<unknown>): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

interface Sweeping {
  runner: ProjectRunner;
  store: ProjectStore;
  queue: ProjectQueue;
  approvals: Pick<ApprovalStore, "get">;
}

/**
 * Makes the queue agree with Postgres, which holds the truth. Only projects that went quiet (for a
 * sweep's interval) are compared with the queue: work that Redis lost, or a step that never ran,
 * leaves its project quiet, while one that moves along shows that its work is there.
 */
async function sweepOnce(parts: Sweeping, timeoutMs: number, quietMs: number, log: Logger): Promise<void> {
  const { runner, store, queue } = parts;
  const quiet: ProjectRow[] = [];
  for (const { project, quiet: isQuiet } of await store.live(quietMs)) {
    // Time waiting for a person does not count; each wait ends when its approval expires.
    if (workingMs(project) > timeoutMs) {
      const tasks = await store.tasks(project.id);
      if (await store.fail(project.id, `it did not finish within ${duration(timeoutMs)}`)) {
        log.warn({ projectId: project.id }, "project timed out");
        await queue.abort(
          project.id,
          tasks.map((task) => task.key),
        );
        await queue.finish(project.id);
      }
    } else if (isQuiet) quiet.push(project);
  }
  const inFlight = new Map<string, TaskRow[]>();
  for (const task of await store.inFlight(quiet.filter((project) => project.status === "running").map((project) => project.id)))
    inFlight.set(task.projectId, [...(inFlight.get(task.projectId) ?? []), task]);
  for (const project of quiet) {
    if (project.status === "planning") {
      const state = await queue.queue.getJobState(jobIds.plan(project.id));
      if (state === "unknown") await queue.plan(project.id);
      else if (state === "failed") {
        const job = await queue.queue.getJob(jobIds.plan(project.id));
        if (await store.fail(project.id, `planning failed: ${job?.failedReason}`)) await queue.finish(project.id);
      }
      continue;
    }
    await Promise.all((inFlight.get(project.id) ?? []).map((task) => sweepTask(parts, project, task)));
    await runner.advance(project.id, false);
  }
  for (const project of await store.unreported()) {
    const job = await queue.posts.getJob(jobIds.finish(project.id));
    const state = job ? await job.getState() : "missing";
    // A finisher that gave up (failed) or stood aside for one that then died (completed) leaves
    // the report unposted: run it again.
    if (state === "waiting" || state === "delayed" || state === "active" || state === "prioritized") continue;
    await job?.remove();
    await queue.finish(project.id);
  }
}

/** A task in flight whose job Redis lost is queued again; one whose job died more often than allowed has failed. */
async function sweepTask(parts: Sweeping, project: ProjectRow, task: TaskRow): Promise<void> {
  const { store, queue } = parts;
  if (task.status === "waiting_approval") return sweepWaiting(parts, project, task);
  // A task that went on after a decision runs in that decision's job.
  const jobId = task.approvalId ? jobIds.resume(task.approvalId) : jobIds.task(project.id, task.key);
  const state = await queue.queue.getJobState(jobId);
  // Lost with Redis (a restart without persistence): queue it again.
  if (state === "unknown")
    await (task.approvalId ? queue.resume(project.id, task.approvalId) : queue.tasks(project.id, [{ key: task.key }]));
  // Died with its workers more often than allowed: it has failed for good.
  else if (state === "failed") {
    const job = await queue.queue.getJob(jobId);
    await store.failTask(project.id, task.key, job?.failedReason || "its worker stopped");
  }
}

/**
 * A task waiting for a person whose approval was decided goes on in that approval's job: queued
 * again here when Redis lost it, or when the process that took the decision died before queueing it.
 */
async function sweepWaiting({ store, queue, approvals }: Sweeping, project: ProjectRow, task: TaskRow): Promise<void> {
  const approval = task.approvalId ? await approvals.get((await store.target(project)).platform, task.approvalId) : undefined;
  if (!approval) {
    await store.failTask(project.id, task.key, "the call it waited on is no longer known");
    return;
  }
  if (approval.state === "pending" || approval.resumed) return;
  const job = await queue.queue.getJob(jobIds.resume(approval.id));
  const state = job ? await job.getState() : "missing";
  if (state === "failed") await store.failTask(project.id, task.key, job?.failedReason || "its worker stopped");
  else if (state === "completed" || state === "missing") {
    await job?.remove();
    await queue.resume(project.id, approval.id);
  }
}

/** "2 seconds", "1 minute", "30 minutes": a limit as a person would say it. */
function duration(ms: number): string {
  const [n, unit] = ms < 60_000 ? [Math.round(ms / 1_000), "second"] : [Math.round(ms / 60_000), "minute"];
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}
