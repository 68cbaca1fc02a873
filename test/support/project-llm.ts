import type { ChatCompletionRequest } from "@copilotkit/aimock";
import type { FakeLlm } from "../fakes/llm.js";
import { lastUserText, systemText } from "./scripted-llm.js";

export interface PlannedTaskJson {
  key: string;
  description?: string;
  capabilities: string[];
  dependsOn?: string[];
}

/** What one specialist call saw and when it ran. */
export interface TaskCall {
  key: string;
  /** The goal of the project the task belongs to. */
  goal: string;
  input: string;
  /** The tools the specialist was offered. */
  tools: string[];
  start: number;
  end: number;
}

export interface ProjectBrain {
  /** Answers of the coordinator, in order; the last repeats. */
  plans: (PlannedTaskJson[] | string)[];
  /** A specialist's answer for a task key; throw for a server error. */
  work?: (key: string, input: string) => string | Promise<string>;
  /** Milliseconds each specialist call takes. */
  taskMs?: number | ((key: string, attempt: number) => number);
  /** Milliseconds each coordinator call takes; none by default. */
  planMs?: number;
}

export interface ProjectLlmLog {
  planCalls: ChatCompletionRequest[];
  /** When each coordinator call ran, in the order of `planCalls`. */
  planTimes: { goal: string; start: number; end: number }[];
  tasks: TaskCall[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Scripts the fake LLM as a coordinator and its specialists, and records their calls. */
export function scriptProjectLlm(llm: FakeLlm, brain: ProjectBrain): ProjectLlmLog {
  const log: ProjectLlmLog = { planCalls: [], planTimes: [], tasks: [] };
  llm.mock.clearFixtures();
  llm.mock.addFixture({
    match: { predicate: () => true },
    response: async (request) => {
      const system = systemText(request);
      const input = lastUserText(request);
      if (system.includes("coordinator of a team")) {
        log.planCalls.push(request);
        const time = { goal: input.replace(/^Goal: /, ""), start: Date.now(), end: 0 };
        log.planTimes.push(time);
        if (brain.planMs) await sleep(brain.planMs);
        time.end = Date.now();
        const plan = brain.plans[Math.min(log.planCalls.length, brain.plans.length) - 1]!;
        return {
          content:
            typeof plan === "string"
              ? plan
              : JSON.stringify({ tasks: plan.map((t) => ({ description: `Do ${t.key}`, dependsOn: [], ...t })) }),
        };
      }
      const key = /Your task \(([\w-]+)\)/.exec(input)?.[1] ?? "?";
      const attempt = log.tasks.filter((call) => call.key === key).length;
      const goal = /project whose goal is: (.*)/.exec(system)?.[1] ?? "";
      const call: TaskCall = {
        key,
        goal,
        input,
        tools: (request.tools ?? []).map((tool) => tool.function.name),
        start: Date.now(),
        end: 0,
      };
      log.tasks.push(call);
      const ms = typeof brain.taskMs === "function" ? brain.taskMs(key, attempt) : (brain.taskMs ?? 0);
      await sleep(ms);
      call.end = Date.now();
      return { content: brain.work ? await brain.work(key, input) : `Result of ${key}.` };
    },
  });
  return log;
}

/** The diamond A → B, A → C, B and C → D, with D writing the report. */
export const diamond: PlannedTaskJson[] = [
  { key: "a", capabilities: ["research"] },
  { key: "b", capabilities: ["analysis"], dependsOn: ["a"] },
  { key: "c", capabilities: ["research"], dependsOn: ["a"] },
  { key: "d", capabilities: ["synthesis"], dependsOn: ["b", "c"] },
];
