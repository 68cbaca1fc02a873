import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

/** An MCP server named `remote` with one tool, `greet`, which answers `hello <who>`. */
export function greetingServer(): McpServer {
  const server = new McpServer({ name: "remote", version: "1.0.0" });
  server.registerTool("greet", { description: "Greets.", inputSchema: { who: z.string() } }, ({ who }) => ({
    content: [{ type: "text", text: `hello ${who}` }],
  }));
  return server;
}

/**
 * A stateless streamable HTTP MCP server with `greet` (a fresh server and transport per request,
 * as the SDK documents), which can be stopped and started again on the same port.
 */
export class HttpMcpServer {
  readonly seenAuth: (string | undefined)[] = [];
  #http: Server | undefined;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/mcp`;
  }

  async start(): Promise<this> {
    const http = createServer((req, res) => {
      this.seenAuth.push(req.headers.authorization);
      if (req.method !== "POST") return void res.writeHead(405).end();
      const server = greetingServer();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on("close", () => void transport.close());
      void server.connect(transport).then(() => transport.handleRequest(req, res));
    });
    await new Promise<void>((resolve) => http.listen(this.port, "127.0.0.1", resolve));
    this.port = (http.address() as AddressInfo).port;
    this.#http = http;
    return this;
  }

  /** Gone for good: the listener and every kept-alive connection. */
  async stop(): Promise<void> {
    const http = this.#http;
    this.#http = undefined;
    if (!http) return;
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeAllConnections();
    await closed;
  }
}
