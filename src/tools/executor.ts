import type { z } from "zod";
import type { ToolCallRequest } from "../agents/llm/types.js";
import { untilAborted } from "../core/abort.js";
import type { Db } from "../db/client.js";
import { toolCalls } from "../db/schema.js";
import type { Tool, ToolContext } from "./define.js";

export interface ToolOutcome {
  name: string;
  ok: boolean;
  /** What goes back to the model: the result as JSON, or a readable error. */
  content: string;
}

const MAX_OUTPUT = 16_000;

export class ToolExecutor {
  constructor(private readonly db: Db) {}

  /** Runs one call from the model; never throws: every failure becomes an outcome the model can read. */
  async execute(tool: Tool | undefined, call: ToolCallRequest, context: Omit<ToolContext, "signal">, signal?: AbortSignal): Promise<ToolOutcome> {
    const started = performance.now();
    let parsedArgs: unknown;
    let outcome: ToolOutcome;
    if (!tool) {
      outcome = { name: call.name, ok: false, content: `Error: there is no tool named "${call.name}".` };
    } else {
      try {
        parsedArgs = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
      } catch {
        parsedArgs = undefined;
      }
      if (parsedArgs === undefined) {
        outcome = { name: tool.name, ok: false, content: `Error: the arguments are not valid JSON: ${truncate(call.arguments, 200)}` };
      } else {
        const checked = tool.input.safeParse(parsedArgs);
        outcome = checked.success
          ? await this.#run(tool, checked.data, { ...context, signal: timeoutSignal(tool.timeoutMs, signal) })
          : { name: tool.name, ok: false, content: `Error: invalid arguments for ${tool.name}: ${describeIssues(checked.error)}` };
      }
    }
    await this.db.insert(toolCalls).values({
      channelId: context.channelId,
      conversationId: context.conversationId,
      callId: call.id,
      toolName: call.name,
      arguments: parsedArgs ?? call.arguments,
      ok: outcome.ok,
      result: truncate(outcome.content, 4_000),
      durationMs: Math.round(performance.now() - started),
    });
    return outcome;
  }

  async #run(tool: Tool, args: unknown, context: ToolContext): Promise<ToolOutcome> {
    try {
      const result = await untilAborted(tool.run(args, context), context.signal);
      const text = typeof result === "string" ? result : JSON.stringify(result);
      return { name: tool.name, ok: true, content: truncate(text, MAX_OUTPUT) };
    } catch (error) {
      const message = context.signal.aborted ? `timed out after ${tool.timeoutMs} ms` : (error as Error).message;
      return { name: tool.name, ok: false, content: `Error: ${tool.name} failed: ${message}` };
    }
  }
}

/** "fact: Too small: expected string to have >=1 characters" — the field path first, for the model. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "(arguments)"}: ${issue.message}`).join("; ");
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n[output cut: ${text.length - max} more characters]`;
}

function timeoutSignal(ms: number, outer?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return outer ? AbortSignal.any([timeout, outer]) : timeout;
}
