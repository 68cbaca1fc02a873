import type { Author } from "../../core/thread.js";
import type { Tool } from "../../tools/define.js";
import type { ToolExecutor } from "../../tools/executor.js";
import { toToolSpec } from "../../tools/registry.js";
import { DATA_RULE } from "../assistant/data-blocks.js";
import { runReasoningLoop } from "../assistant/reasoning-loop.js";
import type { LlmClient } from "../llm/types.js";
import type { Specialist } from "./specialists.js";

export interface DependencyResult {
  key: string;
  description: string;
  result: string;
}

export interface SpecialistTask {
  projectId: string;
  goal: string;
  key: string;
  description: string;
  /** Only the results of the tasks this one depends on, never the whole project's history. */
  inputs: DependencyResult[];
  /** The tools it may use: the specialist's own, as far as the channel allows them. */
  tools: Tool[];
  channelId: string;
  author: Author;
  signal: AbortSignal;
}

export interface SpecialistDeps {
  llm: LlmClient;
  model?: string;
  executor: ToolExecutor;
  maxSteps: number;
}

// Inputs longer than this are summarised before they reach the next specialist.
const SUMMARISE_OVER_CHARS = 4_000;
const URL = /https?:\/\/[^\s"'<>)\]]+/g;

/** Runs one project task as a specialist: its prompt, its tools, its dependencies' results. */
export async function runSpecialist(specialist: Specialist, task: SpecialistTask, deps: SpecialistDeps): Promise<string> {
  const { tools } = task;
  const inputs = await Promise.all(task.inputs.map((input) => condense(input, deps, task.signal)));
  const sources = new Set<string>(inputs.flatMap((input) => input.result.match(URL) ?? []));
  const context = inputs.length
    ? `\n\nResults of the tasks this one builds on:\n${inputs.map((input) => `### ${input.key}: ${input.description}\n${input.result}`).join("\n\n")}`
    : "";
  const result = await runReasoningLoop({
    llm: deps.llm,
    model: deps.model,
    maxSteps: deps.maxSteps,
    signal: task.signal,
    tools: tools.map(toToolSpec),
    messages: [
      {
        role: "system",
        content: `${specialist.systemPrompt}\nYou are doing one task of a project whose goal is: ${task.goal}\nAnswer with the task's result in Markdown; cite the URLs your tools returned.\n${DATA_RULE}`,
      },
      { role: "user", content: `Your task (${task.key}): ${task.description}${context}` },
    ],
    runTool: async (call) => {
      const outcome = await deps.executor.execute(
        tools.find((tool) => tool.name === call.name),
        call,
        { channelId: task.channelId, author: task.author },
        task.signal,
      );
      if (outcome.ok) for (const url of outcome.content.match(URL) ?? []) sources.add(url);
      return outcome;
    },
  });
  // No call of a specialist waits for a person yet: the loop is given no approval rule.
  if ("paused" in result) throw new Error(`the ${specialist.name} specialist stopped at a call that waits for approval`);
  const text = result.text.trim();
  if (text === "") throw new Error(`the ${specialist.name} specialist returned an empty result`);
  const uncited = [...sources].filter((url) => !text.includes(url));
  return uncited.length ? `${text}\n\nSources:\n${uncited.map((url) => `- ${url}`).join("\n")}` : text;
}

async function condense(input: DependencyResult, deps: SpecialistDeps, signal: AbortSignal): Promise<DependencyResult> {
  if (input.result.length <= SUMMARISE_OVER_CHARS) return input;
  const summary = await deps.llm.complete({
    model: deps.model,
    signal,
    messages: [
      {
        role: "system",
        content: "Summarise this work result for a colleague who builds on it. Keep every figure, decision, name and URL; drop the rest.",
      },
      { role: "user", content: input.result },
    ],
  });
  return { ...input, result: summary.content.trim() || input.result.slice(0, SUMMARISE_OVER_CHARS) };
}
