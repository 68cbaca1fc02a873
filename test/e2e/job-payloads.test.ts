import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { type Job, Queue, UnrecoverableError } from "bullmq";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApprovalStore } from "../../src/agents/approvals/approval-store.js";
import { type ProjectJob, validJob } from "../../src/jobs/payloads.js";
import type { ProjectRunner } from "../../src/jobs/project-runner.js";
import type { ProjectStore } from "../../src/jobs/project-store.js";
import { bullConnection, POST_QUEUE, PROJECT_QUEUE, type ProjectQueue } from "../../src/jobs/queue.js";
import { type ProjectWorkers, startProjectWorkers } from "../../src/jobs/workers.js";
import { waitFor } from "../support/wait.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const SECRET = "the customer's secret plan";

describe("the project job payloads", () => {
  it("accepts every job the producers add", () => {
    const jobs: ProjectJob[] = [
      { name: "plan", data: { projectId: "p1" } },
      { name: "task", data: { projectId: "p1", key: "research" } },
      { name: "finish", data: { projectId: "p1" } },
      { name: "progress", data: { projectId: "p1" } },
    ];
    for (const job of jobs) expect(validJob(job)).toEqual(job);
  });

  it("refuses anything else for good, saying what is wrong without the data", () => {
    const refused = (job: { name: string; data: unknown }) => {
      try {
        validJob(job);
      } catch (error) {
        expect(error).toBeInstanceOf(UnrecoverableError);
        return (error as Error).message;
      }
      throw new Error("accepted");
    };
    expect(refused({ name: "task", data: { projectId: "p1" } })).toBe(
      'invalid payload for a "task" job: data.key: Invalid input: expected string, received undefined',
    );
    expect(refused({ name: "plan", data: SECRET })).toBe(
      'invalid payload for a "plan" job: data: Invalid input: expected object, received string',
    );
    const unknown = refused({ name: SECRET, data: { projectId: SECRET } });
    expect(unknown).toMatch(/^invalid payload for a job of an unknown name: name: /);
    expect(unknown).not.toContain(SECRET);
  });
});

describe("a project worker given an invalid payload", () => {
  const prefix = `qtest-${randomBytes(4).toString("hex")}`;
  const processed: ProjectJob[] = [];
  const logged: string[] = [];
  const connection = bullConnection(REDIS_URL);
  const queues = [new Queue(PROJECT_QUEUE, { connection, prefix }), new Queue(POST_QUEUE, { connection, prefix })] as const;
  let workers: ProjectWorkers;

  beforeAll(() => {
    const runner = {
      process: async (job: ProjectJob) => {
        processed.push(job);
      },
      idle: async () => undefined,
    } as unknown as ProjectRunner;
    // Nothing live: the sweep has nothing to do.
    const store = { live: async () => [], unreported: async () => [] } as unknown as ProjectStore;
    const log = pino(
      { level: "debug" },
      new Writable({
        write(chunk, _encoding, done) {
          logged.push(String(chunk));
          done();
        },
      }),
    );
    workers = startProjectWorkers(
      runner,
      store,
      {} as ProjectQueue,
      {} as ApprovalStore,
      { redisUrl: REDIS_URL, prefix, concurrency: 2, lockMs: 5_000, timeoutMs: 60_000 },
      log,
    );
  });
  afterAll(async () => {
    await workers?.close();
    for (const queue of queues) await queue.obliterate({ force: true });
    await Promise.all(queues.map((queue) => queue.close()));
    connection.disconnect();
  });

  const failed = async (queue: Queue, job: Job) => {
    await waitFor(async () => (await job.getState()) === "failed", 10_000, `job ${job.id} to fail`);
    return (await queue.getJob(job.id!))!;
  };

  it("fails it at once with a clear error, logs none of its data, and goes on working", async () => {
    const [projects, posts] = queues;
    const wrongShape = await projects.add("task", { projectId: 42, key: "a", note: SECRET }, { jobId: "bad-task", attempts: 5 });
    const wrongName = await posts.add(SECRET, { projectId: "p1" }, { jobId: "bad-name", attempts: 5 });

    const task = await failed(projects, wrongShape);
    expect(task.failedReason).toBe('invalid payload for a "task" job: data.projectId: Invalid input: expected string, received number');
    expect(task.attemptsMade).toBe(1);
    const named = await failed(posts, wrongName);
    expect(named.failedReason).toMatch(/^invalid payload for a job of an unknown name: name: /);
    expect(named.attemptsMade).toBe(1);
    expect(processed).toEqual([]);

    await waitFor(() => logged.filter((line) => line.includes("project job failed")).length === 2, 5_000, "the failures to be logged");
    expect(logged.join("\n")).not.toContain(SECRET);

    await projects.add("plan", { projectId: "p2" }, { jobId: "good-plan" });
    await posts.add("progress", { projectId: "p2" }, { jobId: "good-progress" });
    await waitFor(() => processed.length === 2, 10_000, "the valid jobs to run");
    expect(processed).toEqual(
      expect.arrayContaining([
        { name: "plan", data: { projectId: "p2" } },
        { name: "progress", data: { projectId: "p2" } },
      ]),
    );
  });
});
