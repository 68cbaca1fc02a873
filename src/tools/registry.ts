import type { ToolSpec } from "../agents/llm/types.js";
import type { ChannelSettings } from "../db/schema.js";
import { ToolDefinitionError, type Tool } from "./define.js";

export class ToolRegistry {
  readonly #tools = new Map<string, Tool>();

  constructor(tools: Tool[] = []) {
    for (const tool of tools) this.register(tool);
  }

  register(tool: Tool): void {
    if (this.#tools.has(tool.name)) throw new ToolDefinitionError(`Two tools are named "${tool.name}"; tool names must be unique.`);
    this.#tools.set(tool.name, tool);
  }

  get(name: string): Tool | undefined {
    return this.#tools.get(name);
  }

  all(): Tool[] {
    return [...this.#tools.values()];
  }

  /** The tools a channel may use, by its allow and deny lists. */
  forChannel(settings: ChannelSettings): Tool[] {
    return this.all().filter(
      (tool) =>
        (settings.allowedTools === undefined || settings.allowedTools.includes(tool.name)) &&
        !(settings.deniedTools ?? []).includes(tool.name),
    );
  }
}

export function toToolSpec(tool: Tool): ToolSpec {
  return { name: tool.name, description: tool.description, parameters: tool.parameters };
}
