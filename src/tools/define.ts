import { z } from "zod";
import type { Author } from "../core/thread.js";
import type { ToolRisk } from "./approval-policy.js";
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
  /** What a call can touch; `TOOL_APPROVAL` says which risks wait for a person. Required: no default. */
  risk: ToolRisk;
  input: Input;
  policy?: Partial<ToolPolicy>;
  run(args: z.output<Input>, context: ToolContext): Promise<unknown> | unknown;
}

export interface Tool {
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly risk: ToolRisk;
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
  const { $schema: _ignored, ...schema } = z.toJSONSchema(definition.input, { io: "input" }) as JsonSchema;
  if (schema.type !== "object")
    throw new ToolDefinitionError(`Tool "${definition.name}" input must be a z.object(), got ${String(schema.type)}.`);
  const parameters = strictSchema(definition.name, schema);
  return {
    name: definition.name,
    description: definition.description,
    category: definition.category,
    risk: definition.risk,
    input: definition.input,
    parameters,
    policy: { ...defaultPolicy, ...definition.policy },
    run: async (args, context) => definition.run(args as z.output<Input>, context),
  };
}

type JsonSchema = Record<string, unknown>;

/**
 * `schema` in the shape OpenAI strict function calling requires: every object closed and listing
 * every property in `required`, the optional ones nullable. Validation still treats an optional
 * field as optional: `checkArguments` turns a null for one into "absent". Free-form objects
 * (records) cannot be expressed, so they fail the definition, naming the field.
 */
function strictSchema(tool: string, schema: JsonSchema, path = ""): JsonSchema {
  const strict = { ...schema };
  for (const key of ["anyOf", "oneOf", "allOf", "prefixItems"])
    if (Array.isArray(schema[key])) strict[key] = (schema[key] as JsonSchema[]).map((inner) => strictSchema(tool, inner, path));
  if (isSchema(schema.items)) strict.items = strictSchema(tool, schema.items, `${path}[]`);
  for (const key of ["$defs", "definitions"])
    if (isSchema(schema[key])) strict[key] = mapValues(schema[key], (inner, name) => strictSchema(tool, inner, name));
  if (schema.type === "object") {
    if (schema.additionalProperties !== undefined && schema.additionalProperties !== false)
      throw new ToolDefinitionError(
        `Tool "${tool}": ${path || "the input"} is a free-form object, which OpenAI strict mode cannot express; use an array of pairs or JSON text.`,
      );
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const properties = isSchema(schema.properties) ? schema.properties : {};
    strict.properties = mapValues(properties, (inner, name) => {
      const property = strictSchema(tool, inner, path ? `${path}.${name}` : name);
      return required.has(name) ? property : nullable(property);
    });
    strict.required = Object.keys(properties);
    strict.additionalProperties = false;
  }
  return strict;
}

/** `schema` that also accepts null: in its type list when it has one, otherwise as an alternative. */
function nullable(schema: JsonSchema): JsonSchema {
  const { type } = schema;
  if ((typeof type === "string" || Array.isArray(type)) && schema.enum === undefined && schema.const === undefined)
    return { ...schema, type: [...new Set([type, "null"].flat())] };
  const { description, default: fallback, ...rest } = schema;
  return {
    ...(description === undefined ? {} : { description }),
    ...(fallback === undefined ? {} : { default: fallback }),
    anyOf: [rest, { type: "null" }],
  };
}

function isSchema(value: unknown): value is JsonSchema {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function mapValues(record: JsonSchema, map: (value: JsonSchema, key: string) => JsonSchema): JsonSchema {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value as JsonSchema, key)]));
}
