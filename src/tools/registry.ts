import type { Author } from "../core/thread.js";
import type { ToolSpec } from "../core/tool-call.js";
import type { ChannelSettings } from "../db/schema.js";
import { type Tool, ToolDefinitionError } from "./define.js";

export interface RegistryOptions {
  /** `platform:userId` entries (ADMIN_USERS) who count as admins besides platform roles. */
  adminUsers?: readonly string[];
  /** Built-in tools left out for want of settings, with what would enable them (shown by `/tools`). */
  unavailable?: readonly UnavailableTool[];
}

export interface UnavailableTool {
  name: string;
  howToEnable: string;
}

export class ToolRegistry {
  readonly #tools = new Map<string, Tool>();
  readonly #admins: ReadonlySet<string>;
  readonly #unavailable: readonly UnavailableTool[];

  constructor(tools: Tool[] = [], options: RegistryOptions = {}) {
    this.#admins = new Set(options.adminUsers);
    this.#unavailable = options.unavailable ?? [];
    for (const tool of tools) this.register(tool);
  }

  register(tool: Tool): void {
    if (this.#tools.has(tool.name)) throw new ToolDefinitionError(`Two tools are named "${tool.name}"; tool names must be unique.`);
    this.#tools.set(tool.name, tool);
  }

  /** Withdraws a tool (an MCP server went away); calls already running finish. */
  unregister(name: string): void {
    this.#tools.delete(name);
  }

  unavailable(): readonly UnavailableTool[] {
    return this.#unavailable;
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

  /** What this author may use in this channel: admin-only tools drop out for everyone else. */
  forCaller(channel: { settings: ChannelSettings }, author: Author): Tool[] {
    return this.forChannel(channel.settings).filter((tool) => !tool.policy.adminOnly || author.isAdmin === true);
  }

  /** The author with `isAdmin` set from platform roles or the configured admin list. */
  caller(platform: string, author: Author): Author {
    return author.isAdmin || this.#admins.has(`${platform}:${author.id}`) ? { ...author, isAdmin: true } : author;
  }
}

export function toToolSpec(tool: Tool): ToolSpec {
  return { name: tool.name, description: tool.description, parameters: tool.parameters };
}
