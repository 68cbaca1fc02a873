import { UnrecoverableError } from "bullmq";
import { z } from "zod";

const projectId = z.string().min(1);

/**
 * What a task's specialist needs to start, carried by its job so that it starts at once while the
 * task is marked started (Postgres still decides, with that mark, whether the work counts). The
 * results it builds on are those of its dependencies, formatted as the specialist receives them.
 */
const taskInputs = z.object({
  goal: z.string(),
  description: z.string(),
  specialist: z.string(),
  channelId: z.string().min(1),
  creator: z.object({ id: z.string(), isAdmin: z.boolean() }),
  dependencies: z.array(z.object({ key: z.string(), description: z.string(), result: z.string() })),
});
/**
 * Inputs longer than this (in characters, roughly) are not carried by a job: it reads them from
 * Postgres instead, so that the queue's finished jobs (kept a day) stay small.
 */
export const CARRIED_MAX_CHARS = 4_000;

export type TaskInputs = z.infer<typeof taskInputs>;

/**
 * Every job that travels through the project queues, by its name: the one description of what
 * producers may add and what workers accept.
 */
const projectJob = z.discriminatedUnion("name", [
  /** The coordinator plans the project (project queue); with its goal, the coordinator starts while the project is read. */
  z.object({ name: z.literal("plan"), data: z.object({ projectId, goal: z.string().optional() }) }),
  /** A specialist works on one task of the plan (project queue). */
  z.object({ name: z.literal("task"), data: z.object({ projectId, key: z.string().min(1), inputs: taskInputs.optional() }) }),
  /** A specialist goes on with a task that waited for a person, once the approval is decided (project queue). */
  z.object({ name: z.literal("resume"), data: z.object({ projectId, approvalId: z.string().min(1) }) }),
  /** The report is posted and the project closed (post queue). */
  z.object({ name: z.literal("finish"), data: z.object({ projectId }) }),
  /** The status message is edited (post queue). */
  z.object({ name: z.literal("progress"), data: z.object({ projectId }) }),
]);

export type ProjectJob = z.infer<typeof projectJob>;
export type JobName = ProjectJob["name"];

const jobNames: readonly string[] = projectJob.options.map((option) => option.shape.name.value);

/**
 * The job as a worker received it, checked against `projectJob`. One that does not match fails
 * for good (an UnrecoverableError: retrying cannot fix it) with a message that names what is
 * wrong but carries none of the data.
 */
export function validJob(job: { name: string; data: unknown }): ProjectJob {
  const parsed = projectJob.safeParse({ name: job.name, data: job.data });
  if (parsed.success) return parsed.data;
  const name = jobNames.includes(job.name) ? `"${job.name}" job` : "job of an unknown name";
  const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(job)"}: ${issue.message}`);
  throw new UnrecoverableError(`invalid payload for a ${name}: ${problems.join("; ")}`);
}
