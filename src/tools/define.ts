import { z } from "zod";
import type { Author } from "../core/thread.js";
import { defaultPolicy, type ToolPolicy } from "./policy.js";

/** What a running tool knows of where it was called from. */
export interface ToolContext {
  channelId: string;
  /** Absent when run outside a thread, by `/tools run`. */
  conversationId?: string;
  author: Author;
  signal: AbortSignal;
}

export interface ToolDefinition<Input extends z.ZodType> {
  name: string;
  description: string;
  category: string;
  input: Input;
  policy?: Partial<ToolPolicy>;
  run(args: z.output<Input>, context: ToolContext): Promise<unknown> | unknown;
}

export interface Tool {
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly input: z.ZodType;
  /** JSON Schema of the arguments, as the model sees it. */
  readonly parameters: Record<string, unknown>;
  readonly policy: ToolPolicy;
  run(args: unknown, context: ToolContext): Promise<unknown>;
}

// OpenAI function names: letters, digits, underscore and dash, at most 64.
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export class ToolDefinitionError extends Error {
  override name = "ToolDefinitionError";
}

export function defineTool<Input extends z.ZodType>(definition: ToolDefinition<Input>): Tool {
  if (!TOOL_NAME.test(definition.name))
    throw new ToolDefinitionError(`Tool name "${definition.name}" must match ${TOOL_NAME} (OpenAI function names).`);
  if (definition.description.trim() === "")
    throw new ToolDefinitionError(`Tool "${definition.name}" needs a description: the model chooses tools by it.`);
  const { $schema: _ignored, ...parameters } = z.toJSONSchema(definition.input, { io: "input" }) as Record<string, unknown>;
  if (parameters.type !== "object")
    throw new ToolDefinitionError(`Tool "${definition.name}" input must be a z.object(), got ${String(parameters.type)}.`);
  return {
    name: definition.name,
    description: definition.description,
    category: definition.category,
    input: definition.input,
    parameters,
    policy: { ...defaultPolicy, ...definition.policy },
    run: async (args, context) => definition.run(args as z.output<Input>, context),
  };
}
