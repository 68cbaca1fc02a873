import type { ChatMessage, CompletionResult, LlmClient, TokenUsage, ToolCallRequest, ToolSpec } from "../llm/types.js";
import { dataBlock } from "./data-blocks.js";

export interface ToolRun {
  name: string;
  ok: boolean;
  content: string;
  /**
   * The result comes from outside the bot (an HTTP API, an MCP server): marked untrusted for the
   * model. Set by the caller, which knows the tool's risk; absent means not marked.
   */
  untrusted?: boolean;
}

export interface LoopInput {
  llm: LlmClient;
  model?: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  runTool: (call: ToolCallRequest) => Promise<ToolRun>;
  /** Whether a call must wait for a person's yes: the loop stops there and returns its state. */
  needsApproval?: (call: ToolCallRequest) => boolean;
  maxSteps: number;
  onDelta?: (text: string) => void;
  signal?: AbortSignal;
}

export interface LoopResult {
  text: string;
  toolCalls: { name: string; ok: boolean }[];
  usage: TokenUsage;
  steps: number;
}

/**
 * A loop stopped at a call that waits for a person: plain data, stored as it is and resumed by
 * any process. `pending` are the calls of the current step still unanswered, the first waiting.
 */
export interface LoopState {
  messages: ChatMessage[];
  pending: ToolCallRequest[];
  step: number;
  usage: TokenUsage;
  toolCalls: { name: string; ok: boolean }[];
  /** What each distinct call of this turn returned, so a repeated call is not run (or asked for) again. */
  seen: [string, ToolRun][];
}

export type LoopOutcome = LoopResult | { paused: LoopState; call: ToolCallRequest };

/** How a person answered the call a loop waits on; `expired` when nobody did in time. */
export type Decision = "approved" | "denied" | "expired";

const FINAL_ANSWER_NOTE =
  "You have used all the tool steps allowed for this message. Answer the user now with what you have, without calling tools.";

const DECLINED: Record<Exclude<Decision, "approved">, string> = {
  denied: "The person asked declined this call, so it did not run. Answer without it, and do not ask for it again in this turn.",
  expired: "Nobody approved this call within 15 minutes, so it did not run. Answer without it.",
};

/**
 * Native tool-calling loop. Every call id gets a result, identical calls in one turn run once,
 * and after `maxSteps` rounds of tools the model must answer without them, so every message gets
 * an answer. A call that needs approval stops the loop with its state (see `resumeReasoningLoop`).
 */
export function runReasoningLoop(input: LoopInput): Promise<LoopOutcome> {
  const usage = { promptTokens: 0, completionTokens: 0 };
  return drive(input, { messages: [...input.messages], pending: [], step: 0, usage, toolCalls: [], seen: [] });
}

/** Goes on from a stopped loop once its waiting call is decided: run it, or tell the model it was declined. */
export function resumeReasoningLoop(input: Omit<LoopInput, "messages">, state: LoopState, decision: Decision): Promise<LoopOutcome> {
  return drive({ ...input, messages: state.messages }, structuredClone(state), decision);
}

async function drive(input: LoopInput, state: LoopState, decision?: Decision): Promise<LoopOutcome> {
  const { messages, usage, toolCalls } = state;
  const seen = new Map(state.seen);
  const call = async (tools: ToolSpec[]): Promise<CompletionResult> => {
    const result = await input.llm.complete({
      messages,
      model: input.model,
      tools: tools.length > 0 ? tools : undefined,
      onDelta: input.onDelta,
      signal: input.signal,
    });
    usage.promptTokens += result.usage?.promptTokens ?? 0;
    usage.completionTokens += result.usage?.completionTokens ?? 0;
    return result;
  };
  const ran = (run: ToolRun, key: string): ToolRun => {
    seen.set(key, run);
    toolCalls.push({ name: run.name, ok: run.ok });
    return run;
  };

  let { pending, step } = state;
  for (;;) {
    for (const [index, request] of pending.entries()) {
      const key = `${request.name}\n${canonicalArguments(request.arguments)}`;
      let run = seen.get(key);
      let note = "";
      if (run) note = "(Same call as earlier in this turn; not run again.) ";
      else if (index === 0 && decision !== undefined)
        run = ran(
          decision === "approved" ? await input.runTool(request) : { name: request.name, ok: false, content: DECLINED[decision] },
          key,
        );
      else if (input.needsApproval?.(request))
        return { paused: { messages, pending: pending.slice(index), step, usage, toolCalls, seen: [...seen] }, call: request };
      else run = ran(await input.runTool(request), key);
      // The API needs the `tool` role and the call id; the content is data like any other text the
      // model did not get from its instructions (see context-builder.ts).
      messages.push({ role: "tool", toolCallId: request.id, content: `${note}${toolResultBlock(run)}` });
    }
    if (step >= input.maxSteps) break;
    step++;
    const result = await call(input.tools);
    if (result.toolCalls.length === 0) return { text: result.content, toolCalls, usage, steps: step };
    messages.push({ role: "assistant", content: result.content, toolCalls: result.toolCalls });
    pending = result.toolCalls;
  }
  messages.push({ role: "system", content: FINAL_ANSWER_NOTE });
  const final = await call([]);
  return { text: final.content, toolCalls, usage, steps: input.maxSteps + 1 };
}

/** A tool's result as a data block labelled with the tool and, for external tools, as untrusted. */
function toolResultBlock(run: ToolRun): string {
  return dataBlock(
    "tool_result",
    { tool: run.name, source: "tool result", ok: run.ok ? undefined : "false", trust: run.untrusted ? "untrusted" : undefined },
    run.content,
  );
}

/** The same arguments written with other spacing or key order are the same call. */
function canonicalArguments(raw: string): string {
  try {
    return JSON.stringify(sortKeys(JSON.parse(raw)));
  } catch {
    return raw.trim();
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  return value;
}
