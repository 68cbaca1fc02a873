import { type JobsOptions, Queue, type Telemetry } from "bullmq";
import { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import type { JobName, ProjectJob, TaskInputs } from "./payloads.js";

/** Agent work: planning and tasks, each holding a slot for its LLM calls. */
export const PROJECT_QUEUE = "quorum-projects";
/** Writing into threads (status edits, reports): quick, rate-limited, never in the way of agent work. */
export const POST_QUEUE = "quorum-project-posts";

/** At most one status edit per project this often, across every process. */
export const PROGRESS_INTERVAL_MS = 2_000;

/** Where cancellations reach every worker process. */
export const cancelChannel = (prefix: string) => `${prefix}:project-cancel`;

// Every job of a project (payloads.ts) has an id derived from what it does, so adding it twice adds it once.
// BullMQ reserves ":" in ids; task keys never contain ".".
export const jobIds = {
  plan: (projectId: string) => `plan.${projectId}`,
  task: (projectId: string, key: string) => `task.${projectId}.${key}`,
  /** One per approval: a decision goes on once, however often it is handed over. */
  resume: (approvalId: string) => `resume.${approvalId}`,
  finish: (projectId: string) => `finish.${projectId}`,
  progress: (projectId: string, slot: number) => `progress.${projectId}.${slot}`,
};

/** A queue whose jobs are named and shaped as payloads.ts says. */
type JobQueue = Queue<ProjectJob["data"], unknown, JobName>;

export interface QueueSettings {
  /** BullMQ's key prefix. */
  prefix: string;
  taskAttempts: number;
  retryBackoffMs: number;
  /** Tracing: a span per job queued, whose context the job carries to its worker. */
  telemetry?: Telemetry | undefined;
}

// Finished jobs stay a day so that re-adding one by its id (a sweep, a retried finisher) is a no-op.
const KEEP = { age: 24 * 3600, count: 50_000 };

/** The producer side of the project queues. */
export class ProjectQueue {
  readonly queue: JobQueue;
  readonly posts: JobQueue;
  // Status-edit slots this process queued lately ("<project>.<slot>"): only saves a Redis round
  // trip, since a slot's job id makes adding it again a no-op. Old slots drop out first; no TTL,
  // as a slot that passed is never asked for again.
  readonly #progressSlots = new LRUCache<string, true>({ max: 20_000 });

  constructor(
    readonly connection: Redis,
    private readonly settings: QueueSettings,
  ) {
    const options = {
      connection,
      prefix: settings.prefix,
      telemetry: settings.telemetry,
      defaultJobOptions: { removeOnComplete: KEEP, removeOnFail: KEEP },
    };
    this.queue = new Queue(PROJECT_QUEUE, options);
    this.posts = new Queue(POST_QUEUE, options);
    for (const queue of [this.queue, this.posts]) queue.on("error", () => undefined);
  }

  plan(projectId: string, goal?: string) {
    const data = goal === undefined ? { projectId } : { projectId, goal };
    return this.#add({ name: "plan", data }, { jobId: jobIds.plan(projectId), attempts: 3, backoff: this.#backoff() });
  }

  /** Tasks of a project, each with its inputs when known, in one round trip. */
  async tasks(projectId: string, tasks: { key: string; inputs?: TaskInputs | undefined }[]): Promise<void> {
    if (tasks.length === 0) return;
    await this.queue.addBulk(
      tasks.map(({ key, inputs }) => ({
        ...({ name: "task", data: inputs ? { projectId, key, inputs } : { projectId, key } } satisfies ProjectJob),
        opts: { jobId: jobIds.task(projectId, key), attempts: this.settings.taskAttempts, backoff: this.#backoff() },
      })),
    );
  }

  /** The task that waited on `approvalId` goes on, now that it is decided. */
  resume(projectId: string, approvalId: string) {
    return this.#add(
      { name: "resume", data: { projectId, approvalId } },
      { jobId: jobIds.resume(approvalId), attempts: this.settings.taskAttempts, backoff: this.#backoff() },
    );
  }

  finish(projectId: string) {
    return this.#add(
      { name: "finish", data: { projectId } },
      { jobId: jobIds.finish(projectId), attempts: 5, backoff: this.#backoff() },
      this.posts,
    );
  }

  /**
   * One status edit per interval slot: changes inside a slot share the job at its end. A later
   * edit (`notBeforeMs` > 0: a busy edit's retry, the next tick of the clock) always gets a slot
   * after the current one; every call aiming at the same moment shares that slot's job.
   */
  async progress(projectId: string, notBeforeMs = 0): Promise<void> {
    const intervalMs = PROGRESS_INTERVAL_MS;
    const now = Date.now();
    const soonest = Math.ceil((now + notBeforeMs) / intervalMs);
    const slot = notBeforeMs > 0 ? Math.max(soonest, Math.floor(now / intervalMs) + 1) : soonest;
    // A slot's job runs at the slot's end: until then, adding it again from here is a no-op.
    const queued = `${projectId}.${slot}`;
    if (this.#progressSlots.has(queued)) return;
    await this.#add(
      { name: "progress", data: { projectId } },
      {
        jobId: jobIds.progress(projectId, slot),
        delay: Math.max(0, slot * intervalMs - Date.now()),
        attempts: 3,
        backoff: this.#backoff(),
        removeOnComplete: true,
        removeOnFail: true,
      },
      this.posts,
    );
    this.#progressSlots.set(queued, true);
  }

  /** Removes a project's waiting work and tells every worker to abort its running jobs. */
  async abort(projectId: string, taskKeys: string[]): Promise<void> {
    const ids = [jobIds.plan(projectId), ...taskKeys.map((key) => jobIds.task(projectId, key))];
    // Active jobs are locked and refuse removal; their workers hear the cancellation and abort them.
    await Promise.all(ids.map((jobId) => this.queue.remove(jobId).catch(() => 0)));
    await this.connection.publish(cancelChannel(this.settings.prefix), projectId);
  }

  async close(): Promise<void> {
    await Promise.all([this.queue.close(), this.posts.close()]);
  }

  #backoff() {
    return { type: "exponential", delay: this.settings.retryBackoffMs } as const;
  }

  async #add(job: ProjectJob, options: JobsOptions, queue = this.queue): Promise<void> {
    await queue.add(job.name, job.data, options);
  }
}

/** A connection as BullMQ needs it: commands wait for a reconnect instead of failing. */
export function bullConnection(url: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: false,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  redis.on("error", () => undefined);
  return redis;
}
