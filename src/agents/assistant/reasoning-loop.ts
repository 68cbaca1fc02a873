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

const FINAL_ANSWER_NOTE =
  "You have used all the tool steps allowed for this message. Answer the user now with what you have, without calling tools.";

/**
 * Native tool-calling loop. Every call id gets a result, identical calls in one turn run once,
 * and after `maxSteps` rounds of tools the model must answer without them, so every message gets an answer.
 */
export async function runReasoningLoop(input: LoopInput): Promise<LoopResult> {
  const messages = [...input.messages];
  const usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  const toolCalls: { name: string; ok: boolean }[] = [];
  const seen = new Map<string, ToolRun>();
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

  for (let step = 1; step <= input.maxSteps; step++) {
    const result = await call(input.tools);
    if (result.toolCalls.length === 0) return { text: result.content, toolCalls, usage, steps: step };
    messages.push({ role: "assistant", content: result.content, toolCalls: result.toolCalls });
    for (const request of result.toolCalls) {
      const key = `${request.name}\u0000${canonicalArguments(request.arguments)}`;
      let run = seen.get(key);
      let note = "";
      if (run) {
        note = "(Same call as earlier in this turn; not run again.) ";
      } else {
        run = await input.runTool(request);
        seen.set(key, run);
        toolCalls.push({ name: run.name, ok: run.ok });
      }
      // The API needs the `tool` role and the call id; the content is data like any other text the
      // model did not get from its instructions (see context-builder.ts).
      messages.push({ role: "tool", toolCallId: request.id, content: `${note}${toolResultBlock(run)}` });
    }
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
