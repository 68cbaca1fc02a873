import { type UsageTotals, usageLine } from "../agents/usage/prices.js";
import type { AgentMessageRow, ProjectRow, StatusTask, TaskRow } from "./project-store.js";

const MARK: Record<string, string> = {
  pending: "⏳",
  queued: "⏳",
  running: "🔄",
  waiting_approval: "⏸️",
  done: "✅",
  failed: "❌",
  skipped: "⏭️",
  cancelled: "🚫",
};

const HEADLINE: Record<string, string> = {
  planning: "planning…",
  running: "working",
  done: "done",
  failed: "failed",
  cancelled: "cancelled",
};

/** The status message: a checklist of the tasks with state, specialist and elapsed time. */
export type ProjectHeadline = Pick<ProjectRow, "id" | "goal" | "status" | "createdAt" | "updatedAt" | "planNote">;

// The status message is edited in place: it must stay one message on every platform (Discord: 2,000).
const STATUS_LIMIT = 1_900;

/** How a task's state reads in the checklist. */
const STATE: Record<string, string> = { waiting_approval: "waiting for approval" };

export function statusText(project: ProjectHeadline, tasks: StatusTask[], now = new Date()): string {
  const done = tasks.filter((task) => task.status === "done").length;
  const waiting = project.status === "running" && tasks.some((task) => task.status === "waiting_approval");
  const headline = waiting ? "waiting for approval" : (HEADLINE[project.status] ?? project.status);
  const lines = [
    `📋 *Project ${shortId(project.id)}*: ${clip(project.goal, 200)}`,
    `Status: ${headline}${tasks.length ? ` · ${done}/${tasks.length} tasks done` : ""} · ${elapsed(project.createdAt, project.status === "running" || project.status === "planning" ? now : project.updatedAt)}`,
    ...tasks.map((task) => {
      const time = task.startedAt ? ` · ${elapsed(task.startedAt, task.finishedAt ?? now)}` : "";
      const why = task.status === "failed" || task.status === "skipped" ? ` (${clip(task.error ?? task.status, 120)})` : "";
      return `${MARK[task.status] ?? "•"} \`${task.key}\` ${task.specialist} · ${STATE[task.status] ?? task.status}${time}${why}`;
    }),
  ];
  if (project.planNote) lines.push(`_${clip(project.planNote, 200)}_`);
  return clip(lines.join("\n"), STATUS_LIMIT);
}

/** The short reply a finished task adds to the thread. */
export function taskSummaryText(task: Pick<TaskRow, "key" | "specialist" | "result">): string {
  const first = (task.result ?? "").replace(/\s+/g, " ").trim();
  return `✅ \`${task.key}\` (${task.specialist}) finished: ${clip(first, 280)}`;
}

/** What the thread gets when a project ends: the report, or why there is none, and what is missing; then what its model calls spent. */
export function finalText(project: ProjectRow, tasks: TaskRow[], spent: UsageTotals): string {
  return `${outcomeText(project, tasks)}\n\n_Model usage: ${usageLine(spent)}._`;
}

function outcomeText(project: ProjectRow, tasks: TaskRow[]): string {
  if (project.status === "cancelled") return `🚫 Project ${shortId(project.id)} was cancelled. Nothing more will run.`;
  const missing = tasks.filter((task) => task.status === "failed" || task.status === "skipped");
  const gaps = missing.length
    ? `\n\n---\n⚠️ Missing from this report: ${missing.map((task) => `\`${task.key}\` (${task.status}: ${task.error ?? "no result"})`).join("; ")}.`
    : "";
  const note = project.planNote ? `\n\n_${project.planNote}_` : "";
  if (project.status === "done" && project.report) return `${project.report}${gaps}${note}`;
  return `❌ Project ${shortId(project.id)} failed: ${project.error ?? "it could not finish"}.${gaps}${note}`;
}

/** `/project status`: the checklist and the inter-agent messages. */
export function detailText(project: ProjectRow, tasks: TaskRow[], notes: AgentMessageRow[]): string {
  const log = notes.map((note) => `• ${note.fromAgent} → ${note.toAgent} [${note.kind}] ${note.content}`);
  return `${statusText(project, tasks)}${log.length ? `\n\n*Messages between agents*\n${log.join("\n")}` : ""}`;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

function elapsed(from: Date, to: Date): string {
  const seconds = Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
