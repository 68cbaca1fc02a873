import type { Logger } from "pino";
import { decisionOf } from "../agents/approvals/approval-flow.js";
import { type ApprovalRow, type ApprovalStore, isTaskApproval, promptOf } from "../agents/approvals/approval-store.js";
import { botPost, type ConversationStore } from "../agents/conversation/conversation-store.js";
import type { Coordinator, ProjectPlan } from "../agents/team/coordinator.js";
import {
  type PausedSpecialist,
  resumeSpecialist,
  runSpecialist,
  type SpecialistDeps,
  type SpecialistOutcome,
} from "../agents/team/specialist-agent.js";
import type { Specialist } from "../agents/team/specialists.js";
import type { UsageLedger } from "../agents/usage/ledger.js";
import type { UsageCall } from "../agents/usage/usage-scope.js";
import type { RecordScope } from "../agents/usage/usage-store.js";
import { renewing } from "../core/claim.js";
import type { Poster, PosterFor, ProjectEvents } from "../core/poster.js";
import type { Author, ThreadRef } from "../core/thread.js";
import { shownArguments } from "../core/tool-call.js";
import type { ToolRegistry } from "../tools/registry.js";
import type { Leases } from "./lease.js";
import { CARRIED_MAX_CHARS, type ProjectJob, type TaskInputs } from "./payloads.js";
import type { DependencyState, ProjectRow, ProjectStore, ReadyTask, TaskRow } from "./project-store.js";
import { finalText, statusText, taskSummaryText } from "./project-text.js";
import { PROGRESS_INTERVAL_MS, type ProjectQueue } from "./queue.js";

export interface RunnerDeps {
  store: ProjectStore;
  queue: ProjectQueue;
  coordinator: Coordinator;
  roster: Specialist[];
  tools: ToolRegistry;
  specialist: SpecialistDeps;
  conversations: ConversationStore;
  /** Where a task's call that waits for a person is stored, and found again once decided. */
  approvals: ApprovalStore;
  posters: PosterFor;
  events: ProjectEvents;
  leases: Leases;
  /**
   * Records the tokens of the project's model calls: held back while a step works, then recorded
   * by the statement that records the step's outcome, so the report's sum sees them all.
   */
  usage: UsageLedger;
  log: Logger;
  /** How often a running project's status message is edited for its clocks alone; default STATUS_TICK_MS. */
  statusTickMs?: number;
}

// Held while an edit or the report is being written; a crashed writer frees it after this.
const WRITING_MS = 60_000;
/** A running project's status shows elapsed times: edited for them alone at most this often. */
export const STATUS_TICK_MS = 10_000;

/** The id of the status message's row in the project's conversation. */
export const statusRowId = (projectId: string) => `${projectId}:status`;

/**
 * What each job of a project does. Every step reads its state from Postgres and changes it with
 * conditional updates, so a job run twice (a retry, a stalled job taken over, a sweep) does its
 * work once.
 */
export class ProjectRunner {
  readonly #pending = new Set<Promise<void>>();

  constructor(private readonly deps: RunnerDeps) {}

  /** Runs one job, already validated; `last` when no retry follows if it fails. */
  async process(job: ProjectJob, last: boolean, signal?: AbortSignal): Promise<void> {
    const abort = signal ?? new AbortController().signal;
    switch (job.name) {
      case "plan":
        return this.plan(job.data.projectId, last, abort, job.data.goal);
      case "task":
        return this.task(job.data.projectId, job.data.key, last, abort, job.data.inputs);
      case "resume":
        return this.resume(job.data.projectId, job.data.approvalId, last, abort);
      case "finish":
        return this.finish(job.data.projectId);
      case "progress":
        return this.progress(job.data.projectId);
    }
  }

  /**
   * Plans a project still planning. With its `goal` carried by the job, the coordinator starts at
   * once while the project is read, and is stopped should it not be planning any more.
   */
  async plan(projectId: string, last: boolean, signal: AbortSignal, goal?: string): Promise<void> {
    const { store } = this.deps;
    const early = goal === undefined ? undefined : this.#planning(projectId, goal, signal);
    const project = await whileEarly(early, store.get(projectId));
    if (project?.status !== "planning") {
      await early?.stop();
      if (project) await this.advance(projectId);
      return;
    }
    // The status's clock ticks from now, while the coordinator thinks.
    this.#tick(project);
    const planning = early ?? this.#planning(projectId, project.goal, signal);
    let planned: Held<ProjectPlan>;
    try {
      planned = await planning.done;
    } catch (error) {
      if (!last || (await this.#stopped(projectId))) throw error;
      if (await store.fail(projectId, `planning failed: ${(error as Error).message}`)) await this.deps.queue.finish(projectId);
      return;
    }
    const { value: plan, calls } = planned;
    const notes = [
      {
        from: "coordinator",
        to: "team",
        kind: "plan",
        content: plan.tasks
          .map((task) => `${task.key} (${task.specialist}${task.dependsOn.length ? ` after ${task.dependsOn.join(", ")}` : ""})`)
          .join("; "),
      },
      ...plan.tasks.map((task) => ({
        from: "coordinator",
        to: task.specialist,
        kind: "assignment",
        content: `${task.key}: ${task.description}`,
      })),
    ];
    const ready = await this.deps.usage.within({ projectId }, calls, () => store.savePlan(projectId, plan, notes, calls));
    if (!ready) return void (await this.advance(projectId));
    // What can start at once depends on nothing: its inputs are all in the plan.
    const tasks = plan.tasks.filter((task) => ready.includes(task.key)).map((task) => ({ ...task, dependencies: [] }));
    this.#queued(projectId, carriedAll(project, tasks), false);
  }

  /**
   * Runs a task once it is marked started. With its `inputs` carried by the job, the specialist
   * starts at once while the mark is made, and is stopped should the task not be this run's to do.
   */
  async task(projectId: string, key: string, last: boolean, signal: AbortSignal, inputs?: TaskInputs): Promise<void> {
    const { store } = this.deps;
    const early = inputs && this.#work(projectId, key, inputs, signal);
    const started = await whileEarly(early, store.startTask(projectId, key));
    if (!started) {
      await early?.stop();
      // Run again after it stopped at a call but before the prompt was out: ask now.
      await this.#askAgain(projectId, key);
      return void (await this.advance(projectId));
    }
    const { project, task, dependencies } = started;
    this.#changed(projectId);
    const work = early ?? this.#work(projectId, key, { ...inputsFor(project, task), dependencies: inputsOf(dependencies) }, signal);
    const specialist = this.#specialist(task.specialist);
    const outcome = await this.#attempt(projectId, key, specialist, last, () => work.done);
    if (outcome) await this.#settle(project, task, specialist, outcome);
  }

  /** The coordinator at work on a plan; `stop` aborts it, and records the calls it made, when the project is not to be planned. */
  #planning(projectId: string, goal: string, signal: AbortSignal): Stoppable<ProjectPlan> {
    const { store, coordinator } = this.deps;
    return this.#stoppable({ projectId }, signal, (stopping) => {
      // Who is busy matters only once the plan is back: asked while the coordinator thinks. Should
      // the plan fail first, its failure is the one that counts.
      const busy = store.busySpecialists();
      busy.catch(() => undefined);
      return coordinator.plan(goal, { signal: stopping, busy });
    });
  }

  /** The specialist at work on a task; `stop` aborts it, and records the calls it made, when the task is not to be run. */
  #work(projectId: string, key: string, inputs: TaskInputs, signal: AbortSignal): Stoppable<SpecialistOutcome> {
    const specialist = this.#specialist(inputs.specialist);
    return this.#stoppable({ projectId, taskKey: key }, signal, async (stopping) =>
      runSpecialist(
        specialist,
        {
          projectId,
          goal: inputs.goal,
          key,
          description: inputs.description,
          inputs: inputs.dependencies,
          tools: await this.#toolsFor({ id: projectId, channelId: inputs.channelId }, inputs.creator, specialist),
          channelId: inputs.channelId,
          author: inputs.creator,
          signal: stopping,
        },
        this.deps.specialist,
      ),
    );
  }

  /**
   * A step's model work, its calls held for the step's statement (`UsageLedger.hold`), aborted
   * with the job's `signal`; or by `stop`, which also records the calls it made.
   */
  #stoppable<T>(scope: RecordScope, signal: AbortSignal, work: (stopping: AbortSignal) => Promise<T>): Stoppable<T> {
    const stopping = new AbortController();
    const done = this.deps.usage.hold(scope, () => work(AbortSignal.any([signal, stopping.signal])));
    // Awaited by whoever goes on with it, or by `stop`.
    done.catch(() => undefined);
    return {
      done,
      stop: async () => {
        stopping.abort(new Error("this run is not to do this step"));
        const held = await done.catch(() => undefined);
        if (held) await this.deps.usage.recordHeld(scope, held.calls);
      },
    };
  }

  /**
   * Goes on with a task that waited on `approvalId`, now decided: the specialist's loop from its
   * stored state, the call run (or the model told it was declined). Marks the approval resumed
   * once the task went past it, so a retried or duplicated job, or a decision handed over twice,
   * goes on once.
   */
  async resume(projectId: string, approvalId: string, last: boolean, signal: AbortSignal): Promise<void> {
    const { store, approvals, log } = this.deps;
    const project = await store.get(projectId);
    if (!project) return;
    const row = await approvals.get((await store.target(project)).platform, approvalId);
    if (!row || !isTaskApproval(row) || row.state === "pending" || row.resumed) return;
    const { turn } = row;
    const resumed = await store.resumeTask(projectId, turn.taskKey, approvalId);
    if (!resumed) {
      // The task no longer waits on it: the project ended, or this decision was gone past already.
      await approvals.markResumed(approvalId);
      return void (await this.advance(projectId, false));
    }
    this.#changed(projectId);
    const specialist = this.#specialist(resumed.task.specialist);
    const work = this.#attempt(projectId, turn.taskKey, specialist, last, async () =>
      this.deps.usage.hold({ projectId, taskKey: turn.taskKey }, async () =>
        resumeSpecialist(
          specialist,
          {
            tools: await this.#toolsFor(resumed.project, creatorOf(resumed.project), specialist),
            channelId: project.channelId,
            author: creatorOf(project),
            signal,
          },
          turn,
          decisionOf(row),
          this.deps.specialist,
        ),
      ),
    );
    // The approval sweep leaves a decision alone while its task goes on here.
    const outcome = await renewing(work, () => approvals.renewClaim(approvalId), log);
    if (outcome) await this.#settle(resumed.project, resumed.task, specialist, outcome);
    await approvals.markResumed(approvalId);
  }

  /**
   * The specialist's work; undefined when it failed for good (recorded, and the project moved on)
   * or its project stopped. A failure with a retry to come is thrown.
   */
  async #attempt(
    projectId: string,
    key: string,
    specialist: Specialist,
    last: boolean,
    work: () => Promise<Held<SpecialistOutcome>>,
  ): Promise<Held<SpecialistOutcome> | undefined> {
    const { store, log } = this.deps;
    try {
      return await work();
    } catch (error) {
      if (await this.#stopped(projectId)) return undefined;
      const reason = (error as Error).message || String(error);
      if (!last) {
        log.warn({ projectId, task: key, err: error }, "project task failed; it will be retried");
        await store.note(projectId, { from: specialist.name, to: "coordinator", kind: "retry", content: `${key}: ${reason}` });
        throw error;
      }
      const skipped = await store.failTask(projectId, key, reason);
      await store.note(projectId, {
        from: specialist.name,
        to: "coordinator",
        kind: "failure",
        content: `${key}: ${reason}${skipped.length ? `; skipped ${skipped.join(", ")}` : ""}`,
      });
      await this.advance(projectId);
      return undefined;
    }
  }

  /**
   * What came of a task's work: its result and model calls recorded and the project moved on, or
   * the calls recorded and the call it waits on asked about.
   */
  async #settle(
    project: ProjectRow,
    task: TaskRow,
    specialist: Specialist,
    { value: outcome, calls }: Held<SpecialistOutcome>,
  ): Promise<void> {
    const { store, usage } = this.deps;
    const { id: projectId } = project;
    const { key } = task;
    const scope = { projectId, taskKey: key };
    if ("paused" in outcome) {
      await usage.recordHeld(scope, calls);
      return this.#wait(project, key, specialist, outcome.paused);
    }
    const { result } = outcome;
    // Posted before the task counts as done, so the report always comes after every summary; a
    // crash (or a failed write) between the two posts it again on the retry, at worst twice, never
    // not at all. A summary that cannot be posted is not worth the task's result.
    const text = key === project.reportTask ? undefined : await this.#postSummary(project, key, taskSummaryText({ ...task, result }));
    const summary = text === undefined ? undefined : { text, conversationId: project.conversationId };
    const note = { from: specialist.name, to: "coordinator", kind: "completion", content: `${key}: ${result.slice(0, 200)}` };
    const step = await usage
      .within(scope, calls, () => store.complete(projectId, key, result, note, summary, calls))
      .catch(async (error: unknown) => {
        // The summary is out but the statement that was to store it failed: the thread's record keeps it anyway.
        if (summary?.conversationId)
          await this.deps.conversations.addMessage(botPost(summary.conversationId, summary.text)).catch(() => undefined);
        throw error;
      });
    this.#queued(projectId, carriedAll(project, step.ready), step.ended);
    // Another task finished alongside: a step after this commit sees both. It need not hold this
    // job's slot; should it not run (a crash), the project goes quiet and the sweep steps it.
    if (step.racing)
      this.#trailing(
        store.step(projectId).then((again) => {
          if (again.ready.length > 0 || again.ended) this.#queued(projectId, carriedAll(project, again.ready), again.ended);
        }),
        projectId,
        "racing step failed; the sweep steps the project",
      );
  }

  /**
   * A task stopped at a call that waits for a person: the call and the task's state are stored
   * for whoever decides (the project's creator, or an admin), the task waits, and the thread is
   * asked. The job ends there; the decision queues the job that goes on (see `resume`).
   */
  async #wait(project: ProjectRow, key: string, specialist: Specialist, paused: PausedSpecialist): Promise<void> {
    const { store, approvals } = this.deps;
    const target = await store.target(project);
    const approval = await approvals.create({
      channelId: project.channelId,
      conversationId: null,
      to: target,
      asker: { ...creatorOf(project), name: project.creatorName ?? project.createdBy },
      tool: paused.call.name,
      args: shownArguments(paused.call.arguments),
      turn: { kind: "task", projectId: project.id, taskKey: key, specialist: specialist.name, loop: paused.loop, sources: paused.sources },
    });
    if (!(await store.waitTask(project.id, key, approval.id))) {
      // The project ended while the specialist worked: nobody is to be asked.
      await approvals.discard(approval.id);
      return;
    }
    await store.note(project.id, {
      from: specialist.name,
      to: project.creatorName ?? project.createdBy,
      kind: "approval",
      content: `${key}: waits for approval to run ${paused.call.name}`,
    });
    // Should the prompt not go out, the job is retried, and the retry asks (see `#askAgain`).
    await this.#ask(target, approval);
    this.#changed(project.id);
  }

  async #ask(target: ThreadRef, approval: ApprovalRow): Promise<void> {
    const prompt = await this.#poster(target).askApproval(target, promptOf(approval));
    await this.deps.approvals.setPromptMessage(approval.id, prompt.id);
  }

  /** Posts the prompt of the call a task waits on, if it never went out. */
  async #askAgain(projectId: string, key: string): Promise<void> {
    const { store, approvals } = this.deps;
    const task = await store.task(projectId, key);
    if (task?.status !== "waiting_approval" || !task.approvalId) return;
    const project = await store.get(projectId);
    if (!project) return;
    const target = await store.target(project);
    const approval = await approvals.get(target.platform, task.approvalId);
    if (approval?.state === "pending" && !approval.promptMessageId) await this.#ask(target, approval);
  }

  /**
   * Queues what became ready and ends the project when nothing is left; true when either
   * happened. A status edit follows a change, or every call when `announce` is set.
   */
  async advance(projectId: string, announce = true): Promise<boolean> {
    const { ready, ended } = await this.deps.store.step(projectId);
    const changed = ready.length > 0 || ended;
    // Rare (a failure, a sweep, a duplicate): the tasks read their inputs themselves.
    if (changed || announce) this.#queued(projectId, ready, ended);
    return changed;
  }

  /**
   * Queues the tasks that became ready and the finisher once the project ended, and a status edit.
   * The job that made them ready need not wait for Redis to take them: it gives its slot back
   * meanwhile. Should they not reach the queue (a failure, logged, or a crash), the project goes
   * quiet and the sweep queues them from Postgres.
   */
  #queued(projectId: string, ready: { key: string; inputs?: TaskInputs | undefined }[], ended: boolean): void {
    const { queue } = this.deps;
    this.#changed(projectId);
    this.#trailing(
      Promise.all([queue.tasks(projectId, ready), ended ? queue.finish(projectId) : undefined]),
      projectId,
      "ready work not queued; the sweep queues it",
    );
  }

  /** Work a job left running when it gave its slot back: logged should it fail, and waited for by `idle`. */
  #trailing(work: Promise<unknown>, projectId: string, failure: string): void {
    const settled = work.then(
      () => undefined,
      (error: unknown) => this.deps.log.warn({ projectId, err: error }, failure),
    );
    this.#pending.add(settled);
    void settled.finally(() => this.#pending.delete(settled));
  }

  /** Resolves once the work that jobs left running has settled: a worker closing waits for it. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** The report (or why there is none), posted once per project; the last status edit follows. */
  async finish(projectId: string): Promise<void> {
    const { store, events, leases, log } = this.deps;
    const found = await store.withTasks(projectId);
    if (!found) return;
    const { project, tasks } = found;
    if (project.status === "planning" || project.status === "running" || project.reportPostedAt) return;
    // One writer at a time; the mark is set only once the text is out, so a crash before it
    // means a retry posts it (at worst twice), never that the thread gets no report.
    if ((await leases.take(`report:${projectId}`, WRITING_MS)) > 0) return;
    const [target, spent] = await Promise.all([store.target(project), this.deps.usage.project(projectId)]);
    const text = finalText(project, tasks, spent);
    try {
      await this.#poster(target).post(target, text);
    } catch (error) {
      await leases.release(`report:${projectId}`);
      throw error;
    }
    await store.markReported(projectId);
    try {
      if (project.conversationId) await this.deps.conversations.addMessage(botPost(project.conversationId, text));
      events.done(target, projectId, text);
      this.#changed(projectId);
    } catch (error) {
      log.warn({ projectId, err: error }, "report posted, but its bookkeeping failed");
    }
  }

  /**
   * Edits the status message to show the project as it is now: at most once per interval across
   * processes, when its state changed or, while it runs, when a tick passed since the last edit
   * (its clocks moved). A job that comes too early reschedules itself rather than hold a worker
   * slot. While the project runs, the edit of its next tick is always queued, so a change whose
   * edit went missing shows by then; once it ended, its last state is shown and nothing more.
   */
  async progress(projectId: string): Promise<void> {
    const { store, leases, conversations, events, queue } = this.deps;
    const found = await store.status(projectId);
    const statusMessageId = found?.project.statusMessageId;
    if (!found || !statusMessageId) return;
    const { project, tasks } = found;
    const state = stateOf(project, tasks);
    const live = isLive(project);
    const tick = live ? { name: `tick:${projectId}`, ms: this.#tickMs } : undefined;
    const due = await leases.due(`edit:${projectId}`, WRITING_MS, `status:${projectId}`, state, tick);
    if (due.is === "busy") return queue.progress(projectId, Math.min(due.ms, PROGRESS_INTERVAL_MS));
    // Shown already. The next tick's edit is queued, by this job if none is yet.
    if (due.is === "shown") return due.tickIn === undefined ? undefined : queue.progress(projectId, due.tickIn);
    let shown = false;
    let tickQueued = true;
    try {
      const text = statusText(project, tasks);
      const target = await store.target(project);
      await Promise.all([
        this.#poster(target).update(target, statusMessageId, text),
        conversations.updateMessage(statusRowId(projectId), text),
      ]);
      events.progress(target, projectId, text);
      shown = true;
    } finally {
      // The next edit waits a whole interval after this one is done, however long it took.
      if (shown) tickQueued = !(await leases.shown(`edit:${projectId}`, PROGRESS_INTERVAL_MS, `status:${projectId}`, state, tick));
      else await leases.hold(`edit:${projectId}`, PROGRESS_INTERVAL_MS);
    }
    // A tick's edit queued before this one finds it shown, and queues the next.
    if (!tickQueued) await queue.progress(projectId, this.#tickMs);
  }

  get #tickMs(): number {
    return this.deps.statusTickMs ?? STATUS_TICK_MS;
  }

  /** Queues the status edit of the project's first tick (one tick after its start), without waiting for it. */
  #tick(project: ProjectRow): void {
    const { leases, queue } = this.deps;
    const untilTick = Math.max(1, project.createdAt.getTime() + this.#tickMs - Date.now());
    this.#trailing(
      leases
        .tickQueued({ name: `tick:${project.id}`, ms: untilTick })
        .then((mine) => (mine ? queue.progress(project.id, untilTick) : undefined)),
      project.id,
      "status tick not queued",
    );
  }

  #specialist(name: string): Specialist {
    const { roster } = this.deps;
    return roster.find((candidate) => candidate.name === name) ?? roster[0]!;
  }

  /** The specialist's tools that this channel allows the project's creator, in the role they started it with. */
  async #toolsFor(project: Pick<ProjectRow, "id" | "channelId">, creator: Author, specialist: Specialist) {
    const { tools, store } = this.deps;
    const channel = await store.channel(project);
    const allowed = tools.forCaller(channel, creator);
    return allowed.filter((tool) => specialist.tools.includes(tool.name));
  }

  /** Posts a task's summary into the thread; its text when it went out, else undefined. */
  async #postSummary(project: ProjectRow, key: string, text: string): Promise<string | undefined> {
    try {
      const target = await this.deps.store.target(project);
      await this.#poster(target).post(target, text);
      return text;
    } catch (error) {
      this.deps.log.warn({ projectId: project.id, task: key, err: error }, "task summary not posted");
      return undefined;
    }
  }

  #poster(target: ThreadRef): Poster {
    const poster = this.deps.posters(target.platform);
    if (!poster) throw new Error(`no ${target.platform} poster is configured in this process`);
    return poster;
  }

  /** Queues a status edit, without waiting for it: the work that changed the project goes on meanwhile. */
  #changed(projectId: string): void {
    this.#trailing(this.deps.queue.progress(projectId), projectId, "status edit not queued");
  }

  async #stopped(projectId: string): Promise<boolean> {
    const project = await this.deps.store.get(projectId);
    return !project || project.status === "cancelled" || project.status === "failed";
  }
}

/** A step's work with the model calls it made, not recorded yet (`UsageLedger.hold`). */
type Held<T> = { value: T; calls: UsageCall[] };

/** A step's model work under way; `stop` it when the step turns out not to be this run's to do. */
type Stoppable<T> = { done: Promise<Held<T>>; stop(): Promise<void> };

/**
 * Whom a project's tools run as: its creator, with the role stored when it started, not one looked
 * up now (a platform role cannot be looked up here, and ADMIN_USERS may have changed since).
 */
function creatorOf(project: ProjectRow): Required<Pick<Author, "id" | "isAdmin">> {
  return { id: project.createdBy, isAdmin: project.creatorRole === "admin" };
}

/** What a task's specialist needs of its project and its own row. */
function inputsFor(project: ProjectRow, task: Pick<TaskRow, "description" | "specialist">): Omit<TaskInputs, "dependencies"> {
  return {
    goal: project.goal,
    description: task.description,
    specialist: task.specialist,
    channelId: project.channelId,
    creator: creatorOf(project),
  };
}

/** Ready tasks, each with the inputs its job is to carry. */
function carriedAll(project: ProjectRow, ready: ReadyTask[]): { key: string; inputs: TaskInputs | undefined }[] {
  return ready.map((next) => ({ key: next.key, inputs: carried(project, next) }));
}

/** A ready task's inputs for its job to carry; undefined when they are too long to carry. */
function carried(project: ProjectRow, task: Omit<ReadyTask, "key">): TaskInputs | undefined {
  const inputs = { ...inputsFor(project, task), dependencies: inputsOf(task.dependencies) };
  const chars = inputs.goal.length + inputs.description.length;
  const size = inputs.dependencies.reduce((sum, input) => sum + input.description.length + input.result.length, chars);
  return size <= CARRIED_MAX_CHARS ? inputs : undefined;
}

/** What `read` gives, once read; should it fail, the step's model work started early is stopped first. */
async function whileEarly<R>(early: Stoppable<unknown> | undefined, read: Promise<R>): Promise<R> {
  try {
    return await read;
  } catch (error) {
    await early?.stop();
    throw error;
  }
}

/** The results of what a task depends on; only the report task runs after a failure, and says so. */
function inputsOf(dependencies: DependencyState[]) {
  return dependencies.map((other) => ({
    key: other.key,
    description: other.description,
    result:
      other.status === "done"
        ? (other.result ?? "")
        : `(No result: this task ${other.status}${other.error ? `: ${other.error}` : ""}. Say in the report that it is missing.)`,
  }));
}

function isLive(project: Pick<ProjectRow, "status">): boolean {
  return project.status === "planning" || project.status === "running";
}

/** What the status message shows, without the clocks: an edit is due when this changes (or, while it runs, a tick passed). */
function stateOf(project: Pick<ProjectRow, "status" | "planNote">, tasks: Pick<TaskRow, "key" | "status">[]): string {
  return JSON.stringify([project.status, project.planNote, tasks.map((task) => [task.key, task.status])]);
}
