import { and, desc, eq, inArray, isNull, like, lt, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { botPost, type ChannelRow, type ConversationStore, messageWrites } from "../agents/conversation/conversation-store.js";
import type { ProjectPlan } from "../agents/team/coordinator.js";
import { dependantsOf } from "../agents/team/planner.js";
import type { UsageCall } from "../agents/usage/usage-scope.js";
import { usageWrites } from "../agents/usage/usage-store.js";
import type { Platform, ThreadRef } from "../core/thread.js";
import type { Db } from "../db/client.js";
import { rowsOf } from "../db/rows.js";
import { agentMessages, projects, projectTasks, toolApprovals } from "../db/schema.js";

export type ProjectRow = typeof projects.$inferSelect;
export type TaskRow = typeof projectTasks.$inferSelect;
export type AgentMessageRow = typeof agentMessages.$inferSelect;

export const projectStatuses = ["planning", "running", "done", "failed", "cancelled"] as const;
export type ProjectStatus = (typeof projectStatuses)[number];
/** `waiting_approval`: stopped at a tool call until the project's creator (or an admin) decides it. */
export type TaskStatus = "pending" | "queued" | "running" | "waiting_approval" | "done" | "failed" | "skipped" | "cancelled";

const OPEN_TASK: TaskStatus[] = ["pending", "queued", "running", "waiting_approval"];
const OPEN_SQL = sql.raw(`(${OPEN_TASK.map((status) => `'${status}'`).join(", ")})`);
const LIVE_PROJECT: ProjectStatus[] = ["planning", "running"];

export interface NewProject {
  id: string;
  channelId: string;
  conversationId: string;
  thread: string;
  goal: string;
  createdBy: string;
  creatorRole: ProjectRow["creatorRole"];
  creatorName?: string;
  statusMessageId: string;
}

/** What a task's dependency left for it: its result, or why there is none. */
export type DependencyState = Pick<TaskRow, "key" | "description" | "status" | "result" | "error">;

/** A task a step made ready, with what its specialist needs of its dependencies (in start order, as `startTask` gives them). */
export interface ReadyTask {
  key: string;
  description: string;
  specialist: string;
  dependencies: DependencyState[];
}

/**
 * Common table expressions (for a WITH, named `ready` and `ended`) that step a running project by
 * its tasks as `after` (a CTE before them) has them: the pending tasks whose dependencies are all
 * done are queued, and the report task once its dependencies have all settled (it reports what
 * is missing); the project ends when every task has settled. `READY_TASKS` reads what was queued.
 */
function stepWrites(projectId: string): SQL {
  return sql`ready as (
        update project_tasks t set status = 'queued'
        from projects p
        where p.id = t.project_id and p.status = 'running' and t.project_id = ${projectId} and t.status = 'pending'
          and not exists (
            select 1 from after d
            where d.key in (select jsonb_array_elements_text(t.depends_on))
              and case when t.key = p.report_task then d.status in ${OPEN_SQL} else d.status <> 'done' end)
        returning t.key, t.description, t.specialist, t.depends_on),
      ended as (
        update projects p set
          status = case when r.status = 'done' then 'done' else 'failed' end,
          report = r.result,
          error = case when r.status = 'done' then null else coalesce(r.error, 'the report task did not finish') end,
          updated_at = now()
        from after r
        where p.id = ${projectId} and p.status = 'running' and r.key = p.report_task
          and not exists (select 1 from after o where o.status in ${OPEN_SQL})
        returning p.id)`;
}

// The tasks of a step's `ready` (key, description, specialist, depends_on), each with its
// dependencies as the step's `after` (the project's tasks, as the step leaves them) has them.
const READY_TASKS = sql.raw(`(select json_agg(json_build_object(
    'key', r.key, 'description', r.description, 'specialist', r.specialist,
    'dependencies', (
      select coalesce(json_agg(json_build_object('key', d.key, 'description', d.description, 'status', d.status,
                                                 'result', d.result, 'error', d.error) order by d.started_at, d.key), '[]')
      from after d where d.key in (select jsonb_array_elements_text(r.depends_on)))))
  from ready r)`);

/** What a status edit needs of its project: the headline, the message and where it is. */
export type StatusProject = Pick<
  ProjectRow,
  "id" | "goal" | "status" | "createdAt" | "updatedAt" | "planNote" | "statusMessageId" | "channelId" | "thread"
>;
/** What the status message shows of a task. */
export type StatusTask = Pick<TaskRow, "key" | "specialist" | "status" | "startedAt" | "finishedAt" | "error">;

/** Where a project posts: its channel's platform and ids, and its thread. */
export type ProjectTarget = ThreadRef;

/**
 * All project state, in Postgres. Every transition is one conditional UPDATE, so two workers
 * racing on the same project (a retried job, a sweep) cannot both make it.
 */
export class ProjectStore {
  readonly #statements: Statements;

  /** Every task and post reads its channel's row: through the conversation store's cache. */
  constructor(
    private readonly db: Db,
    private readonly conversations: Pick<ConversationStore, "getChannel">,
  ) {
    this.#statements = statements(db);
  }

  async create(project: NewProject): Promise<ProjectRow> {
    const [row] = await this.db.insert(projects).values(project).returning();
    return row!;
  }

  async get(id: string): Promise<ProjectRow | undefined> {
    const [row] = await this.#statements.get.execute({ id });
    return row;
  }

  /** A project and its tasks, in one query. */
  async withTasks(id: string): Promise<{ project: ProjectRow; tasks: TaskRow[] } | undefined> {
    const rows = await this.#statements.withTasks.execute({ id });
    const [first] = rows;
    return first && { project: first.project, tasks: rows.flatMap((row) => (row.task ? [row.task] : [])) };
  }

  /** What a project's status message shows, and where it is: fewer columns than `withTasks`, read for every edit. */
  async status(id: string): Promise<{ project: StatusProject; tasks: StatusTask[] } | undefined> {
    const rows = await this.#statements.status.execute({ id });
    const [first] = rows;
    return first && { project: first.project, tasks: rows.flatMap((row) => (row.task ? [row.task] : [])) };
  }

  async channel(project: Pick<ProjectRow, "id" | "channelId">): Promise<ChannelRow> {
    const channel = await this.conversations.getChannel(project.channelId);
    if (!channel) throw new Error(`project ${project.id} has no channel`);
    return channel;
  }

  async target(project: Pick<ProjectRow, "id" | "channelId" | "thread">): Promise<ProjectTarget> {
    const channel = await this.channel(project);
    return { platform: channel.platform as Platform, channel: channel.externalId, thread: project.thread };
  }

  async tasks(projectId: string): Promise<TaskRow[]> {
    return this.#statements.tasks.execute({ projectId });
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

  /**
   * The projects still at work, each saying whether it went quiet: nothing started, finished or
   * changed in it for `quietMs`. Work lost with Redis leaves its project quiet.
   */
  async live(quietMs: number): Promise<{ project: ProjectRow; quiet: boolean }[]> {
    const activity = sql`greatest(${projects.updatedAt}, max(${projectTasks.startedAt}), max(${projectTasks.finishedAt}))`;
    return this.db
      .select({ project: projects, quiet: sql<boolean>`${activity} < now() - make_interval(secs => ${quietMs / 1000})` })
      .from(projects)
      .leftJoin(projectTasks, eq(projectTasks.projectId, projects.id))
      .where(inArray(projects.status, LIVE_PROJECT))
      .groupBy(projects.id);
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
    const rows = await this.#statements.busy.execute();
    return new Map(rows.map((row) => [row.specialist, row.n]));
  }

  /**
   * Stores the plan with its notes and starts the project, and records the model `calls` that
   * made it, in one statement; returns the keys of the tasks that can start at once (now queued),
   * or undefined when it was already planned (or cancelled).
   */
  async savePlan(projectId: string, plan: ProjectPlan, notes: NewNote[], calls: UsageCall[] = []): Promise<string[] | undefined> {
    const tasks = plan.tasks.map((task) => ({
      key: task.key,
      description: task.description,
      specialist: task.specialist,
      capabilities: task.capabilities,
      complexity: task.complexity,
      depends_on: task.dependsOn,
    }));
    const rows = await this.db.execute<{ key: string | null; status: string | null }>(sql`
      with started as (
        update ${projects} set status = 'running', report_task = ${plan.reportTask}, plan_note = ${planNote(plan)}, updated_at = now()
        where id = ${projectId} and status = 'planning'
        returning id),
      tasks as (
        insert into ${projectTasks} (project_id, key, description, specialist, capabilities, complexity, depends_on, status)
        select started.id, v.key, v.description, v.specialist, v.capabilities, v.complexity, v.depends_on,
               case when jsonb_array_length(v.depends_on) = 0 then 'queued' else 'pending' end
        from started, jsonb_to_recordset(${JSON.stringify(tasks)}::jsonb)
          as v(key text, description text, specialist text, capabilities jsonb, complexity text, depends_on jsonb)
        returning key, status),
      notes as (
        insert into ${agentMessages} (project_id, from_agent, to_agent, kind, content)
        select started.id, n.from, n.to, n.kind, n.content
        from started, jsonb_to_recordset(${JSON.stringify(notes)}::jsonb) as n("from" text, "to" text, kind text, content text)),
      ${usageWrites({ projectId }, calls)}
      select t.key, t.status from started left join tasks t on true`);
    const saved = rowsOf<{ key: string | null; status: string | null }>(rows);
    if (saved.length === 0) return undefined;
    return saved.filter((row) => row.status === "queued").map((row) => row.key!);
  }

  /**
   * Marks as queued the pending tasks whose dependencies are all done, and the report task once
   * its dependencies have all settled (it reports what is missing); ends the project when every
   * task has settled. One statement: what it queues was pending in its snapshot, so a project
   * never ends while it queues work, and two racing steps queue each task once (the row lock).
   */
  async step(projectId: string): Promise<{ ready: ReadyTask[]; ended: boolean }> {
    const rows = await this.db.execute<{ ready: ReadyTask[] | null; ended: boolean }>(sql`
      with after as (select key, description, started_at, depends_on, error, result, status from project_tasks where project_id = ${projectId}),
      ${stepWrites(projectId)}
      select ${READY_TASKS} as ready, exists (select 1 from ended) as ended`);
    const [row] = rowsOf<{ ready: ReadyTask[] | null; ended: boolean }>(rows);
    return { ready: row?.ready ?? [], ended: row?.ended === true };
  }

  /**
   * The projects' tasks queued or running, whose jobs must exist, and those waiting for a person,
   * whose job exists once it is decided.
   */
  async inFlight(projectIds: string[]): Promise<TaskRow[]> {
    if (projectIds.length === 0) return [];
    return this.db
      .select()
      .from(projectTasks)
      .where(and(inArray(projectTasks.projectId, projectIds), inArray(projectTasks.status, ["queued", "running", "waiting_approval"])));
  }

  async task(projectId: string, key: string): Promise<TaskRow | undefined> {
    const [row] = await this.#statements.task.execute({ projectId, key });
    return row;
  }

  /**
   * Takes a task of a running project into running for one more attempt; with it come its
   * project and the tasks it depends on, in one statement. Undefined when it is no longer to be run.
   */
  async startTask(projectId: string, key: string): Promise<{ project: ProjectRow; task: TaskRow; dependencies: TaskRow[] } | undefined> {
    const rows = await this.#statements.startTask.execute({ projectId, key });
    const [first] = rows;
    return (
      first && {
        project: first.project,
        task: first.task as TaskRow,
        dependencies: rows.flatMap((row) => (row.dependency ? [row.dependency] : [])),
      }
    );
  }

  /**
   * Stops a running task of a running project at a call that waits for `approvalId`; its project's
   * clock stops while any task waits. False when the task no longer runs (the project ended).
   */
  async waitTask(projectId: string, key: string, approvalId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const waiting = await tx
        .update(projectTasks)
        .set({ status: "waiting_approval", approvalId })
        .where(
          and(
            eq(projectTasks.projectId, projectId),
            eq(projectTasks.key, key),
            eq(projectTasks.status, "running"),
            sql`exists (select 1 from ${projects} where ${projects.id} = ${projectId} and ${projects.status} = 'running')`,
          ),
        )
        .returning({ key: projectTasks.key });
      if (waiting.length === 0) return false;
      await tx
        .update(projects)
        .set({ waitingSince: sql`coalesce(${projects.waitingSince}, now())` })
        .where(eq(projects.id, projectId));
      return true;
    });
  }

  /**
   * Takes a task that waits on `approvalId` (or went on from it, for a retry) back into running,
   * with its project; the time the project spent with no task running but waiting tasks is added
   * to what its timeout does not count. Undefined when the task no longer waits on it or the
   * project ended.
   */
  async resumeTask(projectId: string, key: string, approvalId: string): Promise<{ project: ProjectRow; task: TaskRow } | undefined> {
    return this.db.transaction(async (tx) => {
      // The project's row first: a wait that ends and one that begins meet there one at a time.
      const [project] = await tx
        .select()
        .from(projects)
        .where(and(eq(projects.id, projectId), eq(projects.status, "running")))
        .for("update");
      if (!project) return undefined;
      const [task] = await tx
        .update(projectTasks)
        .set({ status: "running" })
        .where(
          and(
            eq(projectTasks.projectId, projectId),
            eq(projectTasks.key, key),
            eq(projectTasks.approvalId, approvalId),
            inArray(projectTasks.status, ["waiting_approval", "running"]),
          ),
        )
        .returning();
      if (!task) return undefined;
      const [waiting] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(projectTasks)
        .where(and(eq(projectTasks.projectId, projectId), eq(projectTasks.status, "waiting_approval")));
      if ((waiting?.n ?? 0) > 0 || !project.waitingSince) return { project, task };
      const [now] = await tx
        .update(projects)
        .set({
          waitedMs: sql`${projects.waitedMs} + floor(extract(epoch from now() - ${projects.waitingSince}) * 1000)::bigint`,
          waitingSince: null,
        })
        .where(eq(projects.id, projectId))
        .returning();
      return { project: now ?? project, task };
    });
  }

  /**
   * Marks a running task done with its result (and, with `summary`, its summary as in the thread,
   * stored in the project's conversation), records `note` and the model `calls` of its work, and
   * steps the project as `step` does, counting the task as done: one statement, so the report's
   * sum sees the calls of every task that counts as done. Its snapshot may miss another task
   * finishing at the same moment, in a statement of its own that misses this one in turn;
   * `racing` says a task was in flight whose completion, together with this one, could make work
   * ready or end the project. Then a `step` after this commit sees both.
   */
  async complete(
    projectId: string,
    key: string,
    result: string,
    note: NewNote,
    summary?: PostedSummary,
    calls: UsageCall[] = [],
  ): Promise<{ ready: ReadyTask[]; ended: boolean; racing: boolean }> {
    const stored = summary?.conversationId ? sql`${messageWrites(botPost(summary.conversationId, summary.text))},` : sql``;
    const rows = await this.db.execute<{ ready: ReadyTask[] | null; ended: boolean; racing: boolean }>(sql`
      with ${usageWrites({ projectId, taskKey: key }, calls)}, ${stored}
      done as (
        update project_tasks set status = 'done', result = ${result}, error = null, finished_at = now(),
          summary_posted_at = case when ${summary !== undefined}::boolean then now() end
        where project_id = ${projectId} and key = ${key} and status = 'running'
        returning key, result),
      noted as (
        insert into agent_messages (project_id, from_agent, to_agent, kind, content)
        select ${projectId}, ${note.from}, ${note.to}, ${note.kind}, ${note.content} from done),
      after as (
        select t.key, t.description, t.started_at, t.depends_on, t.error, coalesce(d.result, t.result) as result,
               case when d.key is null then t.status else 'done' end as status
        from project_tasks t left join done d on d.key = t.key
        where t.project_id = ${projectId}),
      ${stepWrites(projectId)}
      select ${READY_TASKS} as ready, exists (select 1 from ended) as ended,
        exists (
          select 1 from after j
          where j.key <> ${key} and j.status in ('queued', 'running', 'waiting_approval')
            and (exists (
                   select 1 from after t
                   where t.status = 'pending' and t.depends_on @> jsonb_build_array(${key}::text)
                     and t.depends_on @> jsonb_build_array(j.key))
                 or not exists (select 1 from after o where o.key <> j.key and o.status in ${OPEN_SQL}))) as racing`);
    const [row] = rowsOf<{ ready: ReadyTask[] | null; ended: boolean; racing: boolean }>(rows);
    return { ready: row?.ready ?? [], ended: row?.ended === true, racing: row?.racing === true };
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
      const all = await tx
        .select({ key: projectTasks.key, dependsOn: projectTasks.dependsOn })
        .from(projectTasks)
        .where(eq(projectTasks.projectId, projectId));
      const [project] = await tx.select({ reportTask: projects.reportTask }).from(projects).where(eq(projects.id, projectId));
      const dependants = [...dependantsOf(key, all)].filter((dependant) => dependant !== project?.reportTask);
      if (dependants.length === 0) return [];
      const skipped = await tx
        .update(projectTasks)
        .set({ status: "skipped", error: `skipped: "${key}" failed`, finishedAt: sql`now()` })
        .where(
          and(
            eq(projectTasks.projectId, projectId),
            inArray(projectTasks.key, dependants),
            inArray(projectTasks.status, ["pending", "queued"]),
          ),
        )
        .returning({ key: projectTasks.key });
      return skipped.map((row) => row.key);
    });
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
      // Calls its tasks wait on are not to be decided any more: the next approval sweep expires
      // them, which takes their buttons away.
      await tx
        .update(toolApprovals)
        .set({ expiresAt: sql`now()` })
        .where(
          and(
            eq(toolApprovals.state, "pending"),
            isNull(toolApprovals.conversationId),
            sql`${toolApprovals.turn}->>'projectId' = ${projectId}`,
          ),
        );
      return row;
    });
  }

  /** Records that the final message is in the thread. */
  async markReported(projectId: string): Promise<void> {
    await this.db
      .update(projects)
      .set({ reportPostedAt: sql`now()` })
      .where(and(eq(projects.id, projectId), isNull(projects.reportPostedAt)));
  }

  /** Ended projects whose report was never posted (a worker died between the two). */
  async unreported(): Promise<ProjectRow[]> {
    return this.db
      .select()
      .from(projects)
      .where(
        and(
          inArray(projects.status, ["done", "failed", "cancelled"]),
          isNull(projects.reportPostedAt),
          lt(projects.updatedAt, sql`now() - interval '5 seconds'`),
        ),
      );
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

type Statements = ReturnType<typeof statements>;

/**
 * The statements every job runs, built once: drizzle builds a query's text anew on each run, which
 * cost more CPU than anything else a task's job did in Node. Prepared, a run only binds values.
 */
function statements(db: Db) {
  const id = sql.placeholder("id");
  const projectId = sql.placeholder("projectId");
  const key = sql.placeholder("key");
  const thisTask = and(eq(projectTasks.projectId, projectId), eq(projectTasks.key, key));
  const running = sql`exists (select 1 from ${projects} where ${projects.id} = ${projectId} and ${projects.status} = 'running')`;
  const started = db.$with("started").as(
    db
      .update(projectTasks)
      .set({ status: "running", attempts: sql`${projectTasks.attempts} + 1`, startedAt: sql`coalesce(${projectTasks.startedAt}, now())` })
      // A task that waited for a person goes on only from that approval (resumeTask).
      .where(and(thisTask, inArray(projectTasks.status, ["queued", "running"]), isNull(projectTasks.approvalId), running))
      .returning(),
  );
  const dependency = alias(projectTasks, "dependency");
  return {
    get: db.select().from(projects).where(eq(projects.id, id)).prepare("project_get"),
    withTasks: db
      .select({ project: projects, task: projectTasks })
      .from(projects)
      .leftJoin(projectTasks, eq(projectTasks.projectId, projects.id))
      .where(eq(projects.id, id))
      .orderBy(projectTasks.startedAt, projectTasks.key)
      .prepare("project_with_tasks"),
    status: db
      .select({
        project: {
          id: projects.id,
          goal: projects.goal,
          status: projects.status,
          createdAt: projects.createdAt,
          updatedAt: projects.updatedAt,
          planNote: projects.planNote,
          statusMessageId: projects.statusMessageId,
          channelId: projects.channelId,
          thread: projects.thread,
        },
        task: {
          key: projectTasks.key,
          specialist: projectTasks.specialist,
          status: projectTasks.status,
          startedAt: projectTasks.startedAt,
          finishedAt: projectTasks.finishedAt,
          error: projectTasks.error,
        },
      })
      .from(projects)
      .leftJoin(projectTasks, eq(projectTasks.projectId, projects.id))
      .where(eq(projects.id, id))
      .orderBy(projectTasks.startedAt, projectTasks.key)
      .prepare("project_status"),
    tasks: db
      .select()
      .from(projectTasks)
      .where(eq(projectTasks.projectId, projectId))
      .orderBy(projectTasks.startedAt, projectTasks.key)
      .prepare("project_tasks"),
    task: db.select().from(projectTasks).where(thisTask).prepare("project_task"),
    busy: db
      .select({ specialist: projectTasks.specialist, n: sql<number>`count(*)::int` })
      .from(projectTasks)
      .where(eq(projectTasks.status, "running"))
      .groupBy(projectTasks.specialist)
      .prepare("project_busy_specialists"),
    startTask: db
      .with(started)
      .select({ task: started._.selectedFields, project: projects, dependency })
      .from(started)
      .innerJoin(projects, eq(projects.id, started.projectId))
      .leftJoin(
        dependency,
        and(
          eq(dependency.projectId, started.projectId),
          sql`${dependency.key} in (select jsonb_array_elements_text(${started.dependsOn}))`,
        ),
      )
      .orderBy(dependency.startedAt, dependency.key)
      .prepare("project_start_task"),
  };
}

/**
 * How long a project has been at work, for PROJECT_TIMEOUT_MS: time while a task of it waits for
 * a person does not count (each wait is bounded by the approval's expiry).
 */
export function workingMs(project: Pick<ProjectRow, "createdAt" | "waitedMs" | "waitingSince">, now = Date.now()): number {
  const until = project.waitingSince?.getTime() ?? now;
  return until - project.createdAt.getTime() - project.waitedMs;
}

/** A task's summary as posted in its thread; stored as a message of the project's conversation, when it has one. */
export interface PostedSummary {
  text: string;
  conversationId: string | null;
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
  if (plan.fallbackReason)
    return `The coordinator's plans were invalid twice (${plan.fallbackReason}); a safe linear plan was used instead.`;
  if (plan.repairedFrom) return `The coordinator's first plan was invalid (${plan.repairedFrom}) and was corrected.`;
  return null;
}
