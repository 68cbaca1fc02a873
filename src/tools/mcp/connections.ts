import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Tool as McpToolDescription } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../log.js";
import type { ToolRegistry } from "../registry.js";
import type { McpServerSettings } from "../settings.js";
import { mcpTool } from "./mcp-tool.js";

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * The configured MCP servers: connected at start, their tools registered as `server__tool` and
 * replaced when a server announces a change. A server that fails to start or goes away is logged
 * and its tools withdrawn; nothing it does stops the bot.
 */
export class McpConnections {
  readonly #clients = new Map<string, Client>();
  readonly #registered = new Map<string, string[]>();
  #closing = false;

  constructor(
    private readonly registry: ToolRegistry,
    private readonly log: Logger,
  ) {}

  async start(servers: readonly McpServerSettings[]): Promise<void> {
    await Promise.all(servers.map((server) => this.#connect(server)));
  }

  /** Names of the servers connected now. */
  connected(): string[] {
    return [...this.#clients.keys()];
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#clients.values()].map((client) => client.close()));
  }

  async #connect(server: McpServerSettings): Promise<void> {
    const log = this.log.child({ mcpServer: server.name });
    const client: Client = new Client(
      { name: "quorum", version: "0.1.0" },
      {
        listChanged: {
          tools: {
            onChanged: (error, tools) => {
              if (error) log.warn({ err: error }, "MCP tool list could not be refreshed");
              else if (this.#clients.get(server.name) === client) this.#register(server, client, tools ?? []);
            },
          },
        },
      },
    );
    client.onerror = (error) => log.warn({ err: error }, "MCP server error");
    client.onclose = () => {
      if (this.#clients.get(server.name) !== client) return;
      this.#clients.delete(server.name);
      this.#withdraw(server.name);
      if (!this.#closing) log.warn("MCP server disconnected; its tools are withdrawn");
    };
    try {
      await client.connect(transportFor(server, log), { timeout: CONNECT_TIMEOUT_MS });
      this.#clients.set(server.name, client);
      this.#register(server, client, await listTools(client));
      log.info({ tools: this.#registered.get(server.name) }, "MCP server connected");
    } catch (error) {
      log.warn({ err: error }, "MCP server could not be started; its tools are unavailable");
      await client.close().catch(() => undefined);
    }
  }

  #register(server: McpServerSettings, client: Client, tools: McpToolDescription[]): void {
    this.#withdraw(server.name);
    const policy = {
      ...(server.timeoutMs !== undefined && { timeoutMs: server.timeoutMs }),
      ...(server.adminOnly !== undefined && { adminOnly: server.adminOnly }),
      ...(server.perMinute !== undefined && { perMinute: server.perMinute }),
    };
    const names: string[] = [];
    for (const description of tools) {
      const tool = mcpTool(server.name, description, client, policy);
      if (this.registry.get(tool.name)) {
        this.log.warn({ mcpServer: server.name, tool: tool.name }, "MCP tool skipped: another tool has its name");
        continue;
      }
      this.registry.register(tool);
      names.push(tool.name);
    }
    this.#registered.set(server.name, names);
  }

  #withdraw(server: string): void {
    for (const name of this.#registered.get(server) ?? []) this.registry.unregister(name);
    this.#registered.delete(server);
  }
}

function transportFor(server: McpServerSettings, log: Logger) {
  if ("url" in server) return new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: server.headers } });
  const transport = new StdioClientTransport({
    command: server.command,
    args: server.args,
    env: { ...getDefaultEnvironment(), ...server.env },
    cwd: server.cwd,
    stderr: "pipe",
  });
  // Read the server's stderr so a chatty server never blocks on a full pipe; it goes to debug logs.
  transport.stderr?.on("data", (chunk: Buffer) => log.debug({ stderr: chunk.toString("utf8").trimEnd() }, "MCP server stderr"));
  return transport;
}

async function listTools(client: Client): Promise<McpToolDescription[]> {
  const tools: McpToolDescription[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? undefined : { cursor });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return tools;
}
