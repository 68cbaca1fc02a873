import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationStore } from "../src/agents/conversation-store.js";
import type { Database } from "../src/db/client.js";
import { createLogger } from "../src/log.js";
import { ToolExecutor, type CallContext } from "../src/tools/executor.js";
import { McpConnections } from "../src/tools/mcp/connections.js";
import { namespacedName } from "../src/tools/mcp/mcp-tool.js";
import { ToolRegistry } from "../src/tools/registry.js";
import type { McpServerSettings } from "../src/tools/settings.js";
import { startTestApp } from "./support/app.js";
import { scratchPglite } from "./support/databases.js";

const fakeServer = (name: string): McpServerSettings => ({
  name,
  command: process.execPath,
  args: ["--import", "tsx", fileURLToPath(new URL("./fakes/mcp-server.ts", import.meta.url))],
});

async function waitFor(check: () => boolean): Promise<void> {
  for (let tries = 0; !check(); tries++) {
    if (tries > 500) throw new Error("condition not met");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("tool names", () => {
  it("stay inside OpenAI's function-name rules", () => {
    expect(namespacedName("fs", "read_file")).toBe("fs__read_file");
    expect(namespacedName("fs", "read.file v2")).toBe("fs__read_file_v2");
    const long = namespacedName("server", "x".repeat(80));
    expect(long).toMatch(/^[a-zA-Z0-9_-]{64}$/);
    expect(long).not.toBe(namespacedName("server", "x".repeat(81)));
  });
});

describe("an MCP server on stdio", () => {
  let database: Database;
  let context: CallContext;
  const registry = new ToolRegistry();
  const connections = new McpConnections(registry, createLogger("silent"));
  let executor: ToolExecutor;
  const run = (name: string, args: unknown) => executor.execute(registry.get(name), { id: `mcp-${Math.random()}`, name, arguments: JSON.stringify(args) }, context);
  const names = () => registry.all().map((tool) => tool.name);

  beforeAll(async () => {
    database = await scratchPglite();
    executor = new ToolExecutor(database.db);
    const channel = await new ConversationStore(database.db).ensureChannel("web", "mcp", "mcp");
    context = { channelId: channel.id, author: { id: "ann" } };
    await connections.start([fakeServer("fake"), { name: "broken", command: "/nonexistent/mcp-server", args: [] }]);
  });

  afterAll(async () => {
    await connections.close();
    await database.close();
  });

  it("lists its tools at start, namespaced, and skips the server that failed", () => {
    expect(names()).toEqual(expect.arrayContaining(["fake__add", "fake__fail", "fake__wait_for_it", "fake__grow", "fake__crash"]));
    expect(names().every((name) => /^[a-zA-Z0-9_-]{1,64}$/.test(name))).toBe(true);
    expect(names().some((name) => name.startsWith("broken__"))).toBe(false);
    expect(connections.connected()).toEqual(["fake"]);
    expect(registry.get("fake__add")).toMatchObject({ category: "mcp:fake", description: "Add two numbers.", parameters: { type: "object", required: ["a", "b"] } });
  });

  it("runs a tool under the executor's policy, validating with the server's schema", async () => {
    expect(await run("fake__add", { a: 2, b: 40 })).toEqual({ name: "fake__add", ok: true, content: "42" });
    expect((await run("fake__add", { a: "2", b: 40 })).content).toMatch(/^Error: invalid arguments for fake__add: a: .*expected number/);
    expect((await run("fake__fail", {})).content).toBe("Error: fake__fail failed: the fake failed on purpose");
  });

  it("aborts a call on timeout", async () => {
    const tool = registry.get("fake__wait_for_it")!;
    const outcome = await executor.execute({ ...tool, policy: { ...tool.policy, timeoutMs: 100 } }, { id: "slow", name: tool.name, arguments: "{}" }, context);
    expect(outcome.content).toBe("Error: fake__wait_for_it timed out after 100 ms.");
  });

  it("picks up tools the server adds", async () => {
    await run("fake__grow", {});
    await waitFor(() => registry.get("fake__extra") !== undefined);
    expect(await run("fake__extra", {})).toMatchObject({ ok: true, content: "extra here" });
  });

  it("withdraws the tools of a server that disappears", async () => {
    expect((await run("fake__crash", {})).ok).toBe(false);
    await waitFor(() => !names().some((name) => name.startsWith("fake__")));
    expect(connections.connected()).toEqual([]);
    expect((await run("fake__add", { a: 1, b: 1 })).content).toBe('Error: there is no tool named "fake__add" in this channel.');
  });
});

describe("MCP_SERVERS in the app", () => {
  it("connects at start, and a broken server does not stop the bot", async () => {
    const t = await startTestApp({ MCP_SERVERS: JSON.stringify([fakeServer("calc"), { name: "gone", command: "/nonexistent/mcp" }]) });
    try {
      const reply = await t.post("/api/commands", { channel: "general", user: "ada", command: "/tools", text: 'run calc__add {"a": 1, "b": 2}' });
      expect(reply.json.text).toBe("`calc__add` returned:\n```\n3\n```");
      const list = await t.post("/api/commands", { channel: "general", user: "ada", command: "/tools", text: "" });
      expect(list.json.text).toContain("*mcp:calc*");
      expect((await t.get("/api/health")).status).toBe(200);
    } finally {
      await t.stop();
    }
  });
});

describe("an MCP server over streamable HTTP", () => {
  let http: Server;
  let url = "";
  const seenAuth: (string | undefined)[] = [];

  beforeAll(async () => {
    // Stateless: a fresh server and transport per request, as the SDK documents.
    http = createServer((req, res) => {
      seenAuth.push(req.headers.authorization);
      if (req.method !== "POST") return void res.writeHead(405).end();
      const server = new McpServer({ name: "remote", version: "1.0.0" });
      server.registerTool("greet", { description: "Greets.", inputSchema: { who: z.string() } }, ({ who }) => ({ content: [{ type: "text", text: `hello ${who}` }] }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on("close", () => void transport.close());
      void server.connect(transport).then(() => transport.handleRequest(req, res));
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  });
  afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));

  it("connects with its headers and runs its tools", async () => {
    const registry = new ToolRegistry();
    const connections = new McpConnections(registry, createLogger("silent"));
    const database = await scratchPglite();
    try {
      await connections.start([{ name: "remote", url, headers: { authorization: "Bearer mcp-key" } }]);
      expect(registry.all().map((tool) => tool.name)).toEqual(["remote__greet"]);
      const channel = await new ConversationStore(database.db).ensureChannel("web", "mcp-http", "mcp-http");
      const outcome = await new ToolExecutor(database.db).execute(registry.get("remote__greet"), { id: "h1", name: "remote__greet", arguments: '{"who": "ann"}' }, { channelId: channel.id, author: { id: "ann" } });
      expect(outcome).toEqual({ name: "remote__greet", ok: true, content: "hello ann" });
      expect(seenAuth.length).toBeGreaterThan(0);
      expect(seenAuth.every((value) => value === "Bearer mcp-key")).toBe(true);
    } finally {
      await connections.close();
      await database.close();
    }
  });
});
