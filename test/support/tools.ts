import { z } from "zod";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import type { Author } from "../../src/core/thread.js";
import type { ToolCallRequest } from "../../src/core/tool-call.js";
import type { Database } from "../../src/db/client.js";
import { defineTool, type Tool, type ToolDefinition } from "../../src/tools/define.js";
import { type CallContext, ToolExecutor, type ToolOutcome } from "../../src/tools/executor.js";
import { scratchPglite } from "./databases.js";

let calls = 0;

/** A call of `name` as the model makes it, with an id of its own; `args` as JSON text, or a value to send as JSON. */
export function toolCall(name: string, args: unknown): ToolCallRequest {
  return { id: `call-${++calls}`, name, arguments: typeof args === "string" ? args : JSON.stringify(args) };
}

/**
 * A tool for tests of what the executor does around a tool: category "test", risk "read", and no
 * arguments unless `input` says so. (Only here does risk have a default; src tools must declare it.)
 */
export function testTool<Input extends z.ZodType = z.ZodObject<Record<string, never>>>(
  definition: Omit<ToolDefinition<Input>, "category" | "input" | "risk"> & Partial<Pick<ToolDefinition<Input>, "risk">> & { input?: Input },
): Tool {
  return defineTool({ category: "test", risk: "read", input: z.object({}) as z.ZodType as Input, ...definition });
}

/** Where tools are tried in tests: a fresh, migrated PGlite in memory holding one web channel. */
export interface ToolBench {
  database: Database;
  /** A call in the channel by the bench's author. */
  context: CallContext;
  /** Runs `tool` as the model calls it (`context` unless given), through a fresh executor: no rate limit carries over. */
  call(tool: Tool, args: unknown, context?: CallContext): Promise<ToolOutcome>;
  /** The parsed JSON of a call that succeeds; a call that fails throws its error text. */
  result(tool: Tool, args: unknown): Promise<unknown>;
}

/** A bench whose channel is web `channel`; its calls are made by `author`. Close its `database` after the tests. */
export async function openToolBench(channel: string, author: Author = { id: "ann" }): Promise<ToolBench> {
  const database = await scratchPglite();
  const row = await new ConversationStore(database.db).ensureChannel("web", channel, channel);
  const context: CallContext = { channelId: row.id, author };
  const call = (tool: Tool, args: unknown, at = context) => new ToolExecutor(database.db).execute(tool, toolCall(tool.name, args), at);
  return {
    database,
    context,
    call,
    async result(tool, args) {
      const outcome = await call(tool, args);
      if (!outcome.ok) throw new Error(outcome.content);
      return JSON.parse(outcome.content) as unknown;
    },
  };
}
