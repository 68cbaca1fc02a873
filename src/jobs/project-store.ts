import { and, desc, eq, inArray, isNull, like, lt, sql } from "drizzle-orm";
import type { ChannelRow } from "../agents/conversation-store.js";
import type { ProjectPlan } from "../agents/coordinator.js";
import { dependantsOf } from "../agents/planner.js";
import type { Platform, ThreadRef } from "../core/thread.js";
import type { Db } from "../db/client.js";
import { rowsOf } from "../db/rows.js";
import { agentMessages, channels, projects, projectTasks } from "../db/schema.js";

export type ProjectRow = typeof projects.$inferSelect;
export type TaskRow = typeof projectTasks.$inferSelect;
export type AgentMessageRow = typeof agentMessages.$inferSelect;

export const projectStatuses = ["planning", "running", "done", "failed", "cancelled"] as const;
export type ProjectStatus = (typeof projectStatuses)[number];
export type TaskStatus = "pending" | "queued" | "running" | "done" | "failed" | "skipped" | "cancelled";

const OPEN_TASK: TaskStatus[] = ["pending", "queued", "running"];
// A changed tool allowance reaches running projects within this.
const CHANNEL_CACHE_MS = 10_000;
const LIVE_PROJECT: ProjectStatus[] = ["planning", "running"];

export interface NewProject {
  id: string;
  channelId: string;
  conversationId: string;
  thread: string;
  goal: string;
  createdBy: string;
  statusMessageId: string;
}

/** Where a project posts: its channel's platform and ids, and its thread. */
export type ProjectTarget = ThreadRef;

type Executor = Pick<Db, "execute">;

/**
 * All project state, in Postgres. Every transition is one conditional UPDATE, so two workers
 * racing on the same project (a retried job, a sweep) cannot both make it.
 */
export class ProjectStore {
  // Channel rows change only through settings; every task and post reads one.
  readonly #channels = new Map<string, { row: ChannelRow; at: number }>();

  constructor(private readonly db: Db) {}

  async create(project: NewProject): Promise<ProjectRow> {
    const [row] = await this.db.insert(projects).values(project).returning();
    return row!;
  }

  async get(id: string): Promise<ProjectRow | undefined> {
    const [row] = await this.db.select().from(projects).where(eq(projects.id, id));
    return row;
  }

  async channel(project: ProjectRow): Promise<ChannelRow> {
    const cached = this.#channels.get(project.channelId);
    if (cached && Date.now() - cached.at < CHANNEL_CACHE_MS) return cached.row;
    const [channel] = await this.db.select().from(channels).where(eq(channels.id, project.channelId));
    if (!channel) throw new Error(`project ${project.id} has no channel`);
    if (this.#channels.size > 10_000) this.#channels.clear();
    this.#channels.set(channel.id, { row: channel, at: Date.now() });
    return channel;
  }

  async target(project: ProjectRow): Promise<ProjectTarget> {
    const channel = await this.channel(project);
    return { platform: channel.platform as Platform, channel: channel.externalId, thread: project.thread };
  }

  async tasks(projectId: string): Promise<TaskRow[]> {
    return this.db.select().from(projectTasks).where(eq(projectTasks.projectId, projectId)).orderBy(projectTasks.startedAt, projectTasks.key);
  }

  /** The channel's projects whose id starts with `prefix`, newest first. */
  async withIdPrefix(channelId: string, prefix: string): Promise<ProjectRow[]> {
    return this.db
      .select()
      .from(projects)
      .where(and(eq(projects.channelId, channelId), like(projects.id, `${prefix.replace(/[\\%_]/g, "\\$&")}%`)))
      .orderBy(desc(projects.createdAt))
      .limit(20);
  }

  async recent(channelId: string, limit = 10): Promise<ProjectRow[]> {
    return this.db.select().from(projects).where(eq(projects.channelId, channelId)).orderBy(desc(projects.createdAt)).limit(limit);
  }

  async live(): Promise<ProjectRow[]> {
    return this.db.select().from(projects).where(inArray(projects.status, LIVE_PROJECT));
  }

  async countLive(channelId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(projects)
      .where(and(eq(projects.channelId, channelId), inArray(projects.status, LIVE_PROJECT)));
    return row?.n ?? 0;
  }

  /** Running tasks per specialist, so the coordinator can prefer idle ones. */
  async busySpecialists(): Promise<Map<string, number>> {
    const rows = await this.db
      .select({ specialist: projectTasks.specialist, n: sql<number>`count(*)::int` })
      .from(projectTasks)
      .where(eq(projectTasks.status, "running"))
      .groupBy(projectTasks.specialist);
    return new Map(rows.map((row) => [row.specialist, row.n]));
  }

  /** Stores the plan and starts the project; false when it was already planned (or cancelled). */
  async savePlan(projectId: string, plan: ProjectPlan): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [started] = await tx
        .update(projects)
        .set({ status: "running", reportTask: plan.reportTask, planNote: planNote(plan), updatedAt: sql`now()` })
        .where(and(eq(projects.id, projectId), eq(projects.status, "planning")))
        .returning({ id: projects.id });
      if (!started) return false;
      await tx.insert(projectTasks).values(
        plan.tasks.map((task) => ({
          projectId,
          key: task.key,
          description: task.description,
          specialist: task.specialist,
          capabilities: task.capabilities,
          complexity: task.complexity,
          dependsOn: task.dependsOn,
        })),
      );
      return true;
    });
  }

  /**
   * Marks as queued the pending tasks whose dependencies are all done, and the report task once
   * its dependencies have all settled (it reports what is missing); returns their keys.
   */
  async #claimReady(projectId: string, db: Executor): Promise<string[]> {
    const rows = await db.execute<{ key: string }>(sql`
      update project_tasks t set status = 'queued'
      from projects p
      where p.id = t.project_id and p.status = 'running' and t.project_id = ${projectId} and t.status = 'pending'
        and not exists (
          select 1 from project_tasks d
          where d.project_id = t.project_id and d.key in (select jsonb_array_elements_text(t.depends_on))
            and case when t.key = p.report_task then d.status in ('pending', 'queued', 'running') else d.status <> 'done' end)
      returning t.key`);
    return rowsOf<{ key: string }>(rows).map((row) => row.key);
  }

  /** What became ready (now queued), and whether the project ended: one commit. */
  async step(projectId: string): Promise<{ ready: string[]; ended: boolean }> {
    return this.db.transaction(async (tx) => {
      const ready = await this.#claimReady(projectId, tx);
      return { ready, ended: await this.#settle(projectId, tx) };
    });
  }

  /** Tasks queued or running, whose jobs must exist. */
  async inFlight(projectId: string): Promise<TaskRow[]> {
    return this.db
      .select()
      .from(projectTasks)
      .where(and(eq(projectTasks.projectId, projectId), inArray(projectTasks.status, ["queued", "running"])));
  }

  /** Takes a task into running for one more attempt; undefined when it is no longer to be run. */
  async startTask(projectId: string, key: string): Promise<TaskRow | undefined> {
    const [row] = await this.db
      .update(projectTasks)
      .set({ status: "running", attempts: sql`${projectTasks.attempts} + 1`, startedAt: sql`coalesce(${projectTasks.startedAt}, now())` })
      .where(and(eq(projectTasks.projectId, projectId), eq(projectTasks.key, key), inArray(projectTasks.status, ["queued", "running"])))
      .returning();
    return row;
  }

  /** Marks a running task done with its result and records `note`, in one commit. */
  async finishTask(projectId: string, key: string, result: string, note: NewNote): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows = await tx
        .update(projectTasks)
        .set({ status: "done", result, error: null, finishedAt: sql`now()` })
        .where(and(eq(projectTasks.projectId, projectId), eq(projectTasks.key, key), eq(projectTasks.status, "running")))
        .returning({ key: projectTasks.key });
      if (rows.length > 0) await tx.insert(agentMessages).values(noteRow(projectId, note));
      return rows.length > 0;
    });
  }

  /** Fails a task for good and skips everything that depends on it but the report; returns the skipped keys. */
  async failTask(projectId: string, key: string, error: string): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const failed = await tx
        .update(projectTasks)
        .set({ status: "failed", error, finishedAt: sql`now()` })
        .where(and(eq(projectTasks.projectId, projectId), eq(projectTasks.key, key), inArray(projectTasks.status, OPEN_TASK)))
        .returning({ key: projectTasks.key });
      if (failed.length === 0) return [];
      const all = await tx.select({ key: projectTasks.key, dependsOn: projectTasks.dependsOn }).from(projectTasks).where(eq(projectTasks.projectId, projectId));
      const [project] = await tx.select({ reportTask: projects.reportTask }).from(projects).where(eq(projects.id, projectId));
      const dependants = [...dependantsOf(key, all)].filter((dependant) => dependant !== project?.reportTask);
      if (dependants.length === 0) return [];
      const skipped = await tx
        .update(projectTasks)
        .set({ status: "skipped", error: `skipped: "${key}" failed`, finishedAt: sql`now()` })
        .where(and(eq(projectTasks.projectId, projectId), inArray(projectTasks.key, dependants), inArray(projectTasks.status, ["pending", "queued"])))
        .returning({ key: projectTasks.key });
      return skipped.map((row) => row.key);
    });
  }

  /**
   * Ends a running project whose tasks are all settled: done with the report task's result, or
   * failed. True only for the one caller that ended it.
   */
  async #settle(projectId: string, db: Executor): Promise<boolean> {
    const rows = await db.execute<{ id: string }>(sql`
      update projects p set
        status = case when r.status = 'done' then 'done' else 'failed' end,
        report = r.result,
        error = case when r.status = 'done' then null else coalesce(r.error, 'the report task did not finish') end,
        updated_at = now()
      from project_tasks r
      where p.id = ${projectId} and p.status = 'running' and r.project_id = p.id and r.key = p.report_task
        and not exists (select 1 from project_tasks o where o.project_id = p.id and o.status in ('pending', 'queued', 'running'))
      returning p.id`);
    return rowsOf(rows).length > 0;
  }

  /** Ends a live project as failed, saying why; its open tasks are cancelled. */
  async fail(projectId: string, error: string): Promise<ProjectRow | undefined> {
    return this.#end(projectId, "failed", error);
  }

  async cancel(projectId: string): Promise<ProjectRow | undefined> {
    return this.#end(projectId, "cancelled", "cancelled");
  }

  async #end(projectId: string, status: "failed" | "cancelled", error: string): Promise<ProjectRow | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(projects)
        .set({ status, error, updatedAt: sql`now()` })
        .where(and(eq(projects.id, projectId), inArray(projects.status, LIVE_PROJECT)))
        .returning();
      if (!row) return undefined;
      await tx
        .update(projectTasks)
        .set({ status: "cancelled", finishedAt: sql`now()` })
        .where(and(eq(projectTasks.projectId, projectId), inArray(projectTasks.status, OPEN_TASK)));
      return row;
    });
  }

  /** Claims the posting of a task's summary while its project runs; true for the one caller that should post it. */
  async claimSummary(projectId: string, key: string): Promise<boolean> {
    const rows = await this.db
      .update(projectTasks)
      .set({ summaryPostedAt: sql`now()` })
      .where(
        and(
          eq(projectTasks.projectId, projectId),
          eq(projectTasks.key, key),
          isNull(projectTasks.summaryPostedAt),
          sql`exists (select 1 from ${projects} where ${projects.id} = ${projectId} and ${projects.status} = 'running')`,
        ),
      )
      .returning({ key: projectTasks.key });
    return rows.length > 0;
  }

  /** Gives a summary's claim back when posting failed. */
  async releaseSummary(projectId: string, key: string): Promise<void> {
    await this.db.update(projectTasks).set({ summaryPostedAt: null }).where(and(eq(projectTasks.projectId, projectId), eq(projectTasks.key, key)));
  }

  /** Records that the final message is in the thread. */
  async markReported(projectId: string): Promise<void> {
    await this.db.update(projects).set({ reportPostedAt: sql`now()` }).where(and(eq(projects.id, projectId), isNull(projects.reportPostedAt)));
  }

  /** Ended projects whose report was never posted (a worker died between the two). */
  async unreported(): Promise<ProjectRow[]> {
    return this.db
      .select()
      .from(projects)
      .where(and(inArray(projects.status, ["done", "failed", "cancelled"]), isNull(projects.reportPostedAt), lt(projects.updatedAt, sql`now() - interval '5 seconds'`)));
  }

  async note(projectId: string, note: NewNote): Promise<void> {
    await this.noteAll(projectId, [note]);
  }

  /** Several messages between agents in one statement. */
  async noteAll(projectId: string, notes: NewNote[]): Promise<void> {
    if (notes.length === 0) return;
    await this.db.insert(agentMessages).values(notes.map((note) => noteRow(projectId, note)));
  }

  async notes(projectId: string, limit = 50): Promise<AgentMessageRow[]> {
    return this.db.select().from(agentMessages).where(eq(agentMessages.projectId, projectId)).orderBy(agentMessages.id).limit(limit);
  }
}

/** A message between agents: assignments, completions, failures. */
export interface NewNote {
  from: string;
  to: string;
  kind: string;
  content: string;
}

function noteRow(projectId: string, note: NewNote) {
  return { projectId, fromAgent: note.from, toAgent: note.to, kind: note.kind, content: note.content };
}

function planNote(plan: ProjectPlan): string | null {
  if (plan.fallbackReason) return `The coordinator's plans were invalid twice (${plan.fallbackReason}); a safe linear plan was used instead.`;
  if (plan.repairedFrom) return `The coordinator's first plan was invalid (${plan.repairedFrom}) and was corrected.`;
  return null;
}
