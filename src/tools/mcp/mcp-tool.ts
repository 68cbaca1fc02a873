import { createHash } from "node:crypto";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Tool as McpToolDescription } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ToolRisk } from "../approval-policy.js";
import type { Tool } from "../define.js";
import { defaultPolicy, type ToolPolicy } from "../policy.js";

const MAX_NAME = 64;

/**
 * `server__tool`, inside what OpenAI allows in function names (letters, digits, _ and -, at most
 * 64): other characters become `_`, and a name too long keeps its start plus a short hash so it
 * stays unique.
 */
export function namespacedName(server: string, tool: string): string {
  const name = `${server}__${tool}`.replace(/[^a-zA-Z0-9_-]/g, "_");
  if (name.length <= MAX_NAME) return name;
  const hash = createHash("sha256").update(`${server}\0${tool}`).digest("hex").slice(0, 8);
  return `${name.slice(0, MAX_NAME - hash.length - 1)}_${hash}`;
}

/** Validates with the server's own JSON Schema; one zod cannot express is left to the server. */
function inputSchema(schema: McpToolDescription["inputSchema"]): z.ZodType {
  try {
    return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch {
    return z.record(z.string(), z.unknown());
  }
}

/**
 * An MCP tool's risk from its annotations: `read` only when the server marks it read-only; the
 * annotations are the server's hints, so anything else (missing, false) acts outside the bot.
 */
export function mcpRisk(description: McpToolDescription): ToolRisk {
  return description.annotations?.readOnlyHint === true ? "read" : "external";
}

/** A tool of an MCP server as a registry tool, so the executor applies the same policy to it. */
export function mcpTool(server: string, description: McpToolDescription, client: Client, policy: Partial<ToolPolicy>): Tool {
  const { $schema: _ignored, ...parameters }: Record<string, unknown> = {
    ...description.inputSchema,
    properties: description.inputSchema.properties ?? {},
  };
  return {
    name: namespacedName(server, description.name),
    description: description.description?.trim() || `${description.name} from the ${server} MCP server.`,
    category: `mcp:${server}`,
    risk: mcpRisk(description),
    input: inputSchema(description.inputSchema),
    parameters,
    policy: { ...defaultPolicy, ...policy },
    async run(args, { signal }) {
      const result = await client.callTool({ name: description.name, arguments: args as Record<string, unknown> }, undefined, {
        signal,
        timeout: policy.timeoutMs ?? defaultPolicy.timeoutMs,
      });
      const content = Array.isArray(result.content) ? (result.content as { type: string; text?: string }[]) : [];
      const text = content.map((part) => (part.type === "text" ? (part.text ?? "") : `[${part.type} content]`)).join("\n");
      if (result.isError) throw new Error(text || "the MCP tool reported an error");
      return result.structuredContent ?? text;
    },
  };
}
