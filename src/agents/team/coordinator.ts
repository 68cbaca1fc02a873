import type { ChatMessage, LlmClient } from "../llm/types.js";
import { checkPlan, linearPlan, MAX_TASKS, MIN_TASKS, type Plan, type PlannedTask, sinks, topologicalOrder } from "./planner.js";
import { canSynthesise, chooseSpecialist, type Specialist } from "./specialists.js";

export interface AssignedTask extends PlannedTask {
  specialist: string;
}

export interface ProjectPlan {
  tasks: AssignedTask[];
  /** The task whose result is the report. */
  reportTask: string;
  /** Set when the coordinator's plans were invalid and the safe linear plan is used instead. */
  fallbackReason?: string;
  /** Set when the first plan was invalid and the coordinator corrected it. */
  repairedFrom?: string;
}

const REPORT_KEY = "report";

/** Plans a goal into a dependency graph of subtasks and assigns each to a specialist. */
export class Coordinator {
  constructor(
    private readonly llm: LlmClient,
    private readonly roster: Specialist[],
    private readonly model?: string,
  ) {}

  /**
   * `busy` counts the tasks each specialist is running now, so that idle ones are preferred; it
   * is needed only once the model answered, so it may still be on its way.
   */
  async plan(
    goal: string,
    options: { signal?: AbortSignal; busy?: ReadonlyMap<string, number> | Promise<ReadonlyMap<string, number>> } = {},
  ): Promise<ProjectPlan> {
    const { signal } = options;
    const messages: ChatMessage[] = [
      { role: "system", content: this.#instructions() },
      { role: "user", content: `Goal: ${goal}` },
    ];
    const first = await this.llm.complete({ messages, model: this.model, signal });
    const checked = checkPlan(first.content);
    const busy = (await options.busy) ?? new Map<string, number>();
    if (checked.ok) return this.#assign(checked.plan, busy, {});

    messages.push(
      { role: "assistant", content: first.content },
      { role: "user", content: `That plan is invalid: ${checked.error}. Reply with the corrected plan, as JSON only.` },
    );
    const second = await this.llm.complete({ messages, model: this.model, signal });
    const again = checkPlan(second.content);
    if (again.ok) return this.#assign(again.plan, busy, { repairedFrom: checked.error });
    return this.#assign(linearPlan(goal), busy, { fallbackReason: again.error });
  }

  #instructions(): string {
    const roster = this.roster.map((s) => `- ${s.name}: ${s.capabilities.join(", ")}`).join("\n");
    return [
      "You are the coordinator of a team of specialist agents. Split the user's goal into",
      `${MIN_TASKS} to ${MAX_TASKS} subtasks that together reach it. Independent subtasks run in parallel, so only`,
      "make a task depend on another when it needs that task's result. End with one synthesis task",
      "that depends on the others and writes the final report.",
      "Specialists and their capabilities:",
      roster,
      'Reply with JSON only, shaped as {"tasks":[{"key":"short-id","description":"what to do",',
      '"capabilities":["research"],"complexity":"low|medium|high","dependsOn":["other-key"]}]}.',
    ].join("\n");
  }

  /** Specialists by capability (the least busy among equals), and a synthesis task at the end. */
  #assign(plan: Plan, running: ReadonlyMap<string, number>, notes: Pick<ProjectPlan, "fallbackReason" | "repairedFrom">): ProjectPlan {
    const busy = new Map(running);
    const tasks: AssignedTask[] = topologicalOrder(plan.tasks).map((task) => {
      const specialist = chooseSpecialist(task, this.roster, busy);
      busy.set(specialist.name, (busy.get(specialist.name) ?? 0) + 1);
      return { ...task, specialist: specialist.name };
    });
    const ends = sinks(tasks);
    const last = ends.length === 1 ? tasks.find((task) => task.key === ends[0]) : undefined;
    const synthesiser = this.roster.find(canSynthesise) ?? this.roster[0]!;
    if (last && this.roster.some((s) => s.name === last.specialist && canSynthesise(s))) return { tasks, reportTask: last.key, ...notes };
    let key = REPORT_KEY;
    for (let n = 2; tasks.some((task) => task.key === key); n++) key = `${REPORT_KEY}-${n}`;
    tasks.push({
      key,
      description: "Write the final report from the results of the other tasks.",
      capabilities: ["synthesis"],
      complexity: "medium",
      dependsOn: ends,
      specialist: synthesiser.name,
    });
    return { tasks, reportTask: key, ...notes };
  }
}
