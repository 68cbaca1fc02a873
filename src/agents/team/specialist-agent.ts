import type { Author } from "../../core/thread.js";
import { type ApprovalSetting, needsApproval } from "../../tools/approval-policy.js";
import type { Tool } from "../../tools/define.js";
import type { ToolExecutor } from "../../tools/executor.js";
import { toToolSpec } from "../../tools/registry.js";
import { DATA_RULE } from "../assistant/data-blocks.js";
import {
  type Decision,
  type LoopInput,
  type LoopOutcome,
  type LoopState,
  resumeReasoningLoop,
  runReasoningLoop,
} from "../assistant/reasoning-loop.js";
import type { LlmClient, ToolCallRequest } from "../llm/types.js";
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

/** What a task needs to go on after a call it waited on was decided. */
export type ResumedTask = Pick<SpecialistTask, "tools" | "channelId" | "author" | "signal">;

export interface SpecialistDeps {
  llm: LlmClient;
  model?: string;
  executor: ToolExecutor;
  maxSteps: number;
  /** Which tool risks wait for a person (`TOOL_APPROVAL`); absent: none do. */
  approval?: ApprovalSetting;
}

/** A task stopped at a call that waits for a person: its loop and sources so far, as plain data. */
export interface PausedSpecialist {
  loop: LoopState;
  call: ToolCallRequest;
  sources: string[];
}

/** The task's result, or the call it waits on. */
export type SpecialistOutcome = { result: string } | { paused: PausedSpecialist };

// Inputs longer than this are summarised before they reach the next specialist.
const SUMMARISE_OVER_CHARS = 4_000;
const URL = /https?:\/\/[^\s"'<>)\]]+/g;

/**
 * Runs one project task as a specialist: its prompt, its tools, its dependencies' results. A call
 * that needs a person's yes stops it, with its state (see `resumeSpecialist`).
 */
export async function runSpecialist(specialist: Specialist, task: SpecialistTask, deps: SpecialistDeps): Promise<SpecialistOutcome> {
  const inputs = await Promise.all(task.inputs.map((input) => condense(input, deps, task.signal)));
  const sources = new Set<string>(inputs.flatMap((input) => input.result.match(URL) ?? []));
  const context = inputs.length
    ? `\n\nResults of the tasks this one builds on:\n${inputs.map((input) => `### ${input.key}: ${input.description}\n${input.result}`).join("\n\n")}`
    : "";
  const messages = [
    {
      role: "system" as const,
      content: `${specialist.systemPrompt}\nYou are doing one task of a project whose goal is: ${task.goal}\nAnswer with the task's result in Markdown; cite the URLs your tools returned.\n${DATA_RULE}`,
    },
    { role: "user" as const, content: `Your task (${task.key}): ${task.description}${context}` },
  ];
  return drive(specialist, task, deps, sources, (input) => runReasoningLoop({ ...input, messages }));
}

/** Goes on with a task that waited for a person, from its stored state: the call runs, or the model is told it was declined. */
export function resumeSpecialist(
  specialist: Specialist,
  task: ResumedTask,
  paused: Pick<PausedSpecialist, "loop" | "sources">,
  decision: Decision,
  deps: SpecialistDeps,
): Promise<SpecialistOutcome> {
  return drive(specialist, task, deps, new Set(paused.sources), (input) => resumeReasoningLoop(input, paused.loop, decision));
}

async function drive(
  specialist: Specialist,
  task: ResumedTask,
  deps: SpecialistDeps,
  sources: Set<string>,
  loop: (input: Omit<LoopInput, "messages">) => Promise<LoopOutcome>,
): Promise<SpecialistOutcome> {
  const { tools } = task;
  const find = (name: string) => tools.find((tool) => tool.name === name);
  const outcome = await loop({
    llm: deps.llm,
    model: deps.model,
    maxSteps: deps.maxSteps,
    signal: task.signal,
    tools: tools.map(toToolSpec),
    needsApproval: (call) => {
      const tool = find(call.name);
      return tool !== undefined && deps.approval !== undefined && needsApproval(tool.risk, deps.approval);
    },
    runTool: async (call) => {
      const outcome = await deps.executor.execute(find(call.name), call, { channelId: task.channelId, author: task.author }, task.signal);
      if (outcome.ok) for (const url of outcome.content.match(URL) ?? []) sources.add(url);
      return outcome;
    },
  });
  if ("paused" in outcome) return { paused: { loop: outcome.paused, call: outcome.call, sources: [...sources] } };
  const text = outcome.text.trim();
  if (text === "") throw new Error(`the ${specialist.name} specialist returned an empty result`);
  const uncited = [...sources].filter((url) => !text.includes(url));
  return { result: uncited.length ? `${text}\n\nSources:\n${uncited.map((url) => `- ${url}`).join("\n")}` : text };
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
