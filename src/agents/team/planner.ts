import { z } from "zod";

export const MIN_TASKS = 2;
export const MAX_TASKS = 8;

const taskKey = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/i, "a task key is 1 to 40 letters, digits, - or _");

/** One subtask as the coordinator must write it. */
export const plannedTaskSchema = z.object({
  key: taskKey,
  description: z.string().trim().min(1).max(2_000),
  capabilities: z.array(z.string().trim().toLowerCase().min(1)).max(10).default([]),
  complexity: z.enum(["low", "medium", "high"]).default("medium"),
  dependsOn: z.array(taskKey).max(MAX_TASKS).default([]),
});

export const planSchema = z.object({
  tasks: z.array(plannedTaskSchema).min(MIN_TASKS).max(MAX_TASKS),
});

export type PlannedTask = z.output<typeof plannedTaskSchema>;
export type Plan = z.output<typeof planSchema>;

export type PlanCheck = { ok: true; plan: Plan } | { ok: false; error: string };

/** Parses the coordinator's text (JSON, possibly fenced or wrapped in prose) and checks it is a DAG. */
export function checkPlan(text: string): PlanCheck {
  const json = extractJson(text);
  if (json === undefined) return { ok: false, error: "the answer holds no JSON object" };
  const parsed = planSchema.safeParse(json);
  if (!parsed.success)
    return { ok: false, error: parsed.error.issues.map((issue) => `${issue.path.join(".") || "plan"}: ${issue.message}`).join("; ") };
  const problem = graphProblem(parsed.data.tasks);
  return problem ? { ok: false, error: problem } : { ok: true, plan: parsed.data };
}

/** Duplicate keys, unknown dependencies or a cycle, described for the coordinator; undefined for a DAG. */
export function graphProblem(tasks: PlannedTask[]): string | undefined {
  const keys = new Set<string>();
  for (const task of tasks) {
    if (keys.has(task.key)) return `two tasks have the key "${task.key}"`;
    keys.add(task.key);
  }
  for (const task of tasks) {
    const unknown = task.dependsOn.find((dep) => !keys.has(dep));
    if (unknown) return `task "${task.key}" depends on "${unknown}", which is not a task of the plan`;
    if (task.dependsOn.includes(task.key)) return `task "${task.key}" depends on itself`;
  }
  const cycle = findCycle(tasks);
  return cycle ? `the dependencies form a cycle: ${cycle.join(" -> ")}` : undefined;
}

/** The tasks in an order where every task comes after what it depends on. */
export function topologicalOrder(tasks: PlannedTask[]): PlannedTask[] {
  const byKey = new Map(tasks.map((task) => [task.key, task]));
  const done = new Set<string>();
  const order: PlannedTask[] = [];
  const visit = (task: PlannedTask) => {
    if (done.has(task.key)) return;
    done.add(task.key);
    for (const dep of task.dependsOn) visit(byKey.get(dep)!);
    order.push(task);
  };
  tasks.forEach(visit);
  return order;
}

/**
 * The safe plan used when the coordinator cannot produce a valid one: research, then analysis,
 * then synthesis, one after another.
 */
export function linearPlan(goal: string): Plan {
  return {
    tasks: [
      {
        key: "research",
        description: `Gather the facts and sources needed for: ${goal}`,
        capabilities: ["research"],
        complexity: "medium",
        dependsOn: [],
      },
      {
        key: "analysis",
        description: `Analyse what the research found, for: ${goal}`,
        capabilities: ["analysis"],
        complexity: "medium",
        dependsOn: ["research"],
      },
      {
        key: "synthesis",
        description: `Write the final report for: ${goal}`,
        capabilities: ["synthesis", "writing"],
        complexity: "medium",
        dependsOn: ["analysis"],
      },
    ],
  };
}

/** The keys nothing else depends on: the ends of the graph, whose results make the report. */
export function sinks(tasks: { key: string; dependsOn: string[] }[]): string[] {
  const needed = new Set(tasks.flatMap((task) => task.dependsOn));
  return tasks.filter((task) => !needed.has(task.key)).map((task) => task.key);
}

/** Every task that depends on `key`, directly or not. */
export function dependantsOf(key: string, tasks: { key: string; dependsOn: string[] }[]): Set<string> {
  const found = new Set<string>();
  let frontier = [key];
  while (frontier.length > 0) {
    const next = tasks
      .filter((task) => !found.has(task.key) && task.dependsOn.some((dep) => frontier.includes(dep)))
      .map((task) => task.key);
    for (const k of next) found.add(k);
    frontier = next;
  }
  return found;
}

function findCycle(tasks: PlannedTask[]): string[] | undefined {
  const byKey = new Map(tasks.map((task) => [task.key, task]));
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (key: string): string[] | undefined => {
    if (state.get(key) === "done") return undefined;
    if (state.get(key) === "open") return [...path.slice(path.indexOf(key)), key];
    state.set(key, "open");
    path.push(key);
    for (const dep of byKey.get(key)!.dependsOn) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(key, "done");
    return undefined;
  };
  for (const task of tasks) {
    const cycle = visit(task.key);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The first JSON object in the text: bare, in a ```json fence, or inside prose. */
function extractJson(text: string): unknown {
  const candidates = [text.trim(), /```(?:json)?\s*([\s\S]*?)```/i.exec(text)?.[1]?.trim()];
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start >= 0 && end > start) candidates.push(text.slice(start, end + 1));
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      return JSON.parse(candidate);
    } catch {
      // try the next shape
    }
  }
  return undefined;
}
