import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Tool as McpToolDescription } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";
import type { ToolRegistry } from "../registry.js";
import type { McpServerSettings } from "../settings.js";
import { mcpTool } from "./mcp-tool.js";

const CONNECT_TIMEOUT_MS = 15_000;
const PING_INTERVAL_MS = 30_000;
const PING_TIMEOUT_MS = 10_000;

export interface McpConnectionOptions {
  /** Delay before reconnecting: `firstMs`, doubled after each failed attempt up to `maxMs`, jittered. */
  retry?: { firstMs: number; maxMs: number };
}

/** One configured server and where it stands. */
interface Link {
  readonly server: McpServerSettings;
  readonly log: Logger;
  /** Set while connected; its tools are in the registry. */
  client?: Client;
  /** The client of the attempt in progress, so close() can end it. */
  attempt?: Client;
  connecting?: Promise<void>;
  tools: string[];
  /** Failed attempts and short-lived connections in a row, for the backoff. */
  failures: number;
  connectedAt: number;
  /** The current outage has been logged; later failed attempts go to debug only. */
  down: boolean;
  retryTimer?: NodeJS.Timeout;
  pingTimer?: NodeJS.Timeout;
}

/**
 * The configured MCP servers: connected at start, their tools registered as `server__tool` and
 * replaced when a server announces a change. A server that fails to start or goes away is logged
 * once and its tools withdrawn; it is then retried with capped backoff and its tools come back
 * when it does. Nothing a server does stops the bot.
 */
export class McpConnections {
  readonly #links = new Map<string, Link>();
  readonly #retry: { firstMs: number; maxMs: number };
  #closing = false;

  constructor(
    private readonly registry: ToolRegistry,
    private readonly log: Logger,
    options: McpConnectionOptions = {},
  ) {
    this.#retry = options.retry ?? { firstMs: 1_000, maxMs: 60_000 };
  }

  /** Connects every server; resolves when each has connected or failed (failed ones retry later). */
  async start(servers: readonly McpServerSettings[]): Promise<void> {
    const links = servers.map(
      (server): Link => ({ server, log: this.log.child({ mcpServer: server.name }), tools: [], failures: 0, connectedAt: 0, down: false }),
    );
    for (const link of links) this.#links.set(link.server.name, link);
    await Promise.all(links.map((link) => this.#attempt(link)));
  }

  /** Names of the servers connected now. */
  connected(): string[] {
    return [...this.#links.values()].filter((link) => link.client).map((link) => link.server.name);
  }

  /** Stops retries and pings and closes every client, including attempts in progress. */
  async close(): Promise<void> {
    this.#closing = true;
    const links = [...this.#links.values()];
    for (const link of links) {
      clearTimeout(link.retryTimer);
      clearInterval(link.pingTimer);
    }
    await Promise.allSettled(links.flatMap((link) => [link.client?.close(), link.attempt?.close()]));
    await Promise.allSettled(links.map((link) => link.connecting));
  }

  #attempt(link: Link): Promise<void> {
    link.connecting = this.#connect(link).finally(() => (link.connecting = undefined));
    return link.connecting;
  }

  async #connect(link: Link): Promise<void> {
    const { server, log } = link;
    const client: Client = new Client(
      { name: "quorum", version: "0.1.0" },
      {
        listChanged: {
          tools: {
            onChanged: (error, tools) => {
              if (link.client !== client) return;
              if (error) log.warn({ err: error }, "MCP tool list could not be refreshed");
              else this.#register(link, client, tools ?? []);
            },
          },
        },
      },
    );
    // Failures of an attempt are handled below; once connected, a network failure means the server is gone.
    client.onerror = (error) => {
      if (link.client !== client) return;
      if (isConnectionLoss(error)) this.#lose(link, client, error);
      else log.warn({ err: error }, "MCP server error");
    };
    client.onclose = () => this.#lose(link, client);
    link.attempt = client;
    try {
      await client.connect(transportFor(server, log), { timeout: CONNECT_TIMEOUT_MS });
      const tools = await listTools(client);
      if (this.#closing) throw new Error("closing");
      link.client = client;
      this.#register(link, client, tools);
      link.connectedAt = Date.now();
      log.info({ tools: link.tools }, link.down ? "MCP server is back; its tools are registered again" : "MCP server connected");
      link.down = false;
      // A streamable HTTP server that goes away sends no event; a light ping notices it between calls.
      if ("url" in server) {
        // One ping at a time: a slow answer is not a lost server unless it takes PING_TIMEOUT_MS.
        let pinging = false;
        link.pingTimer = setInterval(() => {
          if (pinging) return;
          pinging = true;
          client
            .ping({ timeout: PING_TIMEOUT_MS })
            .catch((error: unknown) => this.#lose(link, client, error))
            .finally(() => (pinging = false));
        }, server.pingIntervalMs ?? PING_INTERVAL_MS).unref();
      }
    } catch (error) {
      await client.close().catch(() => undefined);
      if (this.#closing) return;
      // Logged once per outage: a server down for hours must not fill the log.
      if (!link.down) log.warn({ err: error }, "MCP server could not be reached; its tools are unavailable until it is, retrying");
      else log.debug({ err: error, failures: link.failures }, "MCP server still unreachable");
      link.down = true;
      link.failures++;
      this.#retryLater(link);
    } finally {
      if (link.attempt === client) link.attempt = undefined;
    }
  }

  /** The connected client failed: withdraw its tools, close it, and reconnect later. Idempotent. */
  #lose(link: Link, client: Client, reason?: unknown): void {
    if (link.client !== client) return;
    link.client = undefined;
    clearInterval(link.pingTimer);
    this.#withdraw(link);
    if (this.#closing) return;
    link.log.warn({ err: reason }, "MCP server lost; its tools are withdrawn until it is back");
    link.down = true;
    // Lets an HTTP transport drop its streams; a stdio client is already closed and this is a no-op.
    void client.close().catch(() => undefined);
    // A connection that lasted starts the backoff afresh; one that died at once keeps backing off.
    link.failures = Date.now() - link.connectedAt > this.#retry.maxMs ? 1 : link.failures + 1;
    this.#retryLater(link);
  }

  #retryLater(link: Link): void {
    if (this.#closing) return;
    const { firstMs, maxMs } = this.#retry;
    const delay = Math.min(maxMs, firstMs * 2 ** (link.failures - 1));
    // Jitter (half to all of the delay) so servers lost together do not all retry in step.
    link.retryTimer = setTimeout(() => void this.#attempt(link), delay * (0.5 + Math.random() / 2));
    // A pending retry must not keep the process alive on its own.
    link.retryTimer.unref();
  }

  #register(link: Link, client: Client, tools: McpToolDescription[]): void {
    this.#withdraw(link);
    const { server } = link;
    const policy = {
      ...(server.timeoutMs !== undefined && { timeoutMs: server.timeoutMs }),
      ...(server.adminOnly !== undefined && { adminOnly: server.adminOnly }),
      ...(server.perMinute !== undefined && { perMinute: server.perMinute }),
    };
    for (const description of tools) {
      const tool = mcpTool(server.name, description, client, policy);
      if (this.registry.get(tool.name)) {
        link.log.warn({ tool: tool.name }, "MCP tool skipped: another tool has its name");
        continue;
      }
      this.registry.register(tool);
      link.tools.push(tool.name);
    }
  }

  #withdraw(link: Link): void {
    for (const name of link.tools) this.registry.unregister(name);
    link.tools = [];
  }
}

/** An HTTP failure that means the server is gone: no connection, or our session no longer exists there. */
function isConnectionLoss(error: Error): boolean {
  if (error instanceof StreamableHTTPError) return error.code === 404 || error.code === 502 || error.code === 503 || error.code === 504;
  // fetch reports refused, reset and unresolvable connections as a TypeError with the cause.
  return error instanceof TypeError && error.cause !== undefined;
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
