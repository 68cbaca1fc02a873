import type { Job } from "bullmq";
import type { Logger } from "pino";
import type { ConversationStore } from "../agents/conversation-store.js";
import type { Coordinator } from "../agents/coordinator.js";
import { runSpecialist, type SpecialistDeps } from "../agents/specialist-agent.js";
import type { Specialist } from "../agents/specialists.js";
import type { Poster, PosterFor, ProjectEvents } from "../core/poster.js";
import type { ThreadRef } from "../core/thread.js";
import type { EditLock } from "./edit-lock.js";
import type { ProjectStore, ProjectRow } from "./project-store.js";
import { finalText, statusText, taskSummaryText } from "./project-text.js";
import type { JobName, ProjectQueue } from "./queue.js";

export interface RunnerDeps {
  store: ProjectStore;
  queue: ProjectQueue;
  coordinator: Coordinator;
  roster: Specialist[];
  specialist: SpecialistDeps;
  conversations: ConversationStore;
  posters: PosterFor;
  events: ProjectEvents;
  lock: EditLock;
  log: Logger;
}

/** At most one status edit per project this often, across every process. */
export const PROGRESS_INTERVAL_MS = 2_000;

/** The id of the status message's row in the project's conversation. */
export const statusRowId = (projectId: string) => `${projectId}:status`;

/**
 * What each job of a project does. Every step reads its state from Postgres and changes it with
 * conditional updates, so a job run twice (a retry, a stalled job taken over, a sweep) does its
 * work once.
 */
export class ProjectRunner {
  constructor(private readonly deps: RunnerDeps) {}

  async process(job: Job<{ projectId: string; key?: string }, unknown, string>, signal?: AbortSignal): Promise<void> {
    const { projectId, key } = job.data;
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const abort = signal ?? new AbortController().signal;
    switch (job.name as JobName) {
      case "plan":
        return this.plan(projectId, last, abort);
      case "task":
        return this.task(projectId, key!, last, abort);
      case "finish":
        return this.finish(projectId);
      case "progress":
        return this.progress(projectId);
    }
  }

  async plan(projectId: string, last: boolean, signal: AbortSignal): Promise<void> {
    const { store, coordinator } = this.deps;
    const project = await store.get(projectId);
    if (!project) return;
    if (project.status !== "planning") return this.advance(projectId);
    let plan;
    try {
      plan = await coordinator.plan(project.goal, { signal, busy: await store.busySpecialists() });
    } catch (error) {
      if (!last || (await this.#stopped(projectId))) throw error;
      if (await store.fail(projectId, `planning failed: ${(error as Error).message}`)) await this.deps.queue.finish(projectId);
      return;
    }
    if (await store.savePlan(projectId, plan)) {
      await store.note(projectId, "coordinator", "team", "plan", plan.tasks.map((task) => `${task.key} (${task.specialist}${task.dependsOn.length ? ` after ${task.dependsOn.join(", ")}` : ""})`).join("; "));
      for (const task of plan.tasks) await store.note(projectId, "coordinator", task.specialist, "assignment", `${task.key}: ${task.description}`);
    }
    await this.advance(projectId);
  }

  async task(projectId: string, key: string, last: boolean, signal: AbortSignal): Promise<void> {
    const { store, roster, log } = this.deps;
    const project = await store.get(projectId);
    if (!project || project.status !== "running") return;
    const task = await store.startTask(projectId, key);
    if (!task) return this.advance(projectId);
    await this.#changed(projectId);
    const specialist = roster.find((candidate) => candidate.name === task.specialist) ?? roster[0]!;
    const all = await store.tasks(projectId);
    const inputs = all
      .filter((other) => task.dependsOn.includes(other.key))
      .map((other) => ({
        key: other.key,
        description: other.description,
        // Only the report task runs after a failure; it says what is missing.
        result: other.status === "done" ? (other.result ?? "") : `(No result: this task ${other.status}${other.error ? `: ${other.error}` : ""}. Say in the report that it is missing.)`,
      }));
    let result: string;
    try {
      result = await runSpecialist(
        specialist,
        { projectId, goal: project.goal, key, description: task.description, inputs, channelId: project.channelId, author: { id: project.createdBy }, signal },
        this.deps.specialist,
      );
    } catch (error) {
      if (await this.#stopped(projectId)) return;
      const reason = (error as Error).message || String(error);
      if (!last) {
        log.warn({ projectId, task: key, err: error }, "project task failed; it will be retried");
        await store.note(projectId, specialist.name, "coordinator", "retry", `${key}: ${reason}`);
        throw error;
      }
      const skipped = await store.failTask(projectId, key, reason);
      await store.note(projectId, specialist.name, "coordinator", "failure", `${key}: ${reason}${skipped.length ? `; skipped ${skipped.join(", ")}` : ""}`);
      return this.advance(projectId);
    }
    // The summary goes out before the task counts as done, so the report always comes after every summary.
    if (key !== project.reportTask && (await store.claimSummary(projectId, key))) await this.#say(project, taskSummaryText({ ...task, result }));
    if (await store.finishTask(projectId, key, result))
      await store.note(projectId, specialist.name, "coordinator", "completion", `${key}: ${result.slice(0, 200)}`);
    await this.advance(projectId);
  }

  /** Queues what became ready, ends the project when nothing is left, and schedules a status edit. */
  async advance(projectId: string): Promise<void> {
    const { store, queue } = this.deps;
    for (const key of await store.claimReady(projectId)) await queue.task(projectId, key);
    if (await store.settle(projectId)) await queue.finish(projectId);
    await this.#changed(projectId);
  }

  /** The report (or why there is none), posted once per project; the last status edit follows. */
  async finish(projectId: string): Promise<void> {
    const { store, events } = this.deps;
    const project = await store.get(projectId);
    if (!project || project.status === "planning" || project.status === "running") return;
    if (!(await store.claimReport(projectId))) return;
    try {
      const text = finalText(project, await store.tasks(projectId));
      await this.#say(project, text);
      events.done(await store.target(project), projectId, text);
    } catch (error) {
      await store.releaseReport(projectId);
      throw error;
    }
    await this.#changed(projectId);
  }

  /**
   * Edits the status message to show the project as it is now, at most once per interval across
   * processes. A job that comes too early reschedules itself rather than hold a worker slot.
   */
  async progress(projectId: string): Promise<void> {
    const { store, lock, conversations, events, queue } = this.deps;
    const project = await store.get(projectId);
    if (!project?.statusMessageId) return;
    const text = statusText(project, await store.tasks(projectId));
    if ((await conversations.message(statusRowId(projectId)))?.content === text) return;
    const wait = await lock.take(projectId, PROGRESS_INTERVAL_MS);
    if (wait > 0) return queue.progress(projectId, PROGRESS_INTERVAL_MS, wait);
    const target = await store.target(project);
    await this.#poster(target).update(target, project.statusMessageId, text);
    await conversations.updateMessage(statusRowId(projectId), text);
    events.progress(target, projectId, text);
  }

  async #say(project: ProjectRow, text: string): Promise<void> {
    const target = await this.deps.store.target(project);
    await this.#poster(target).post(target, text);
    if (project.conversationId)
      await this.deps.conversations.addMessage({ conversationId: project.conversationId, role: "assistant", author: "quorum", content: text });
  }

  #poster(target: ThreadRef): Poster {
    const poster = this.deps.posters(target.platform);
    if (!poster) throw new Error(`no ${target.platform} poster is configured in this process`);
    return poster;
  }

  #changed(projectId: string): Promise<void> {
    return this.deps.queue.progress(projectId, PROGRESS_INTERVAL_MS);
  }

  async #stopped(projectId: string): Promise<boolean> {
    const project = await this.deps.store.get(projectId);
    return !project || project.status === "cancelled" || project.status === "failed";
  }
}
