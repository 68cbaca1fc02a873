import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import type { Database } from "../../src/db/client.js";
import { type CallContext, ToolExecutor } from "../../src/tools/executor.js";
import { McpConnections } from "../../src/tools/mcp/connections.js";
import { namespacedName } from "../../src/tools/mcp/mcp-tool.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import type { McpServerSettings } from "../../src/tools/settings.js";
import { createLogger } from "../../src/wiring/log.js";
import { greetingServer, HttpMcpServer } from "../fakes/mcp-http-server.js";
import { startTestApp } from "../support/app.js";
import { scratchPglite } from "../support/databases.js";
import { toolCall } from "../support/tools.js";
import { waitFor as poll } from "../support/wait.js";

const fakeServer = (name: string, env?: Record<string, string>): McpServerSettings => ({
  name,
  command: process.execPath,
  args: ["--import", "tsx", fileURLToPath(new URL("../fakes/mcp-server.ts", import.meta.url))],
  ...(env && { env }),
});

/** Fast retries so tests see a server come back quickly; the defaults are 1 s doubling to 60 s. */
const fastRetry = { retry: { firstMs: 50, maxMs: 200 } };
const scratch = mkdtempSync(join(tmpdir(), "quorum-mcp-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** One database for the whole file, opened on first use (at once, beside the first server's start). */
let opening: Promise<Database> | undefined;
const sharedDatabase = () => (opening ??= scratchPglite());
afterAll(async () => {
  await (await opening)?.close();
});

/** Polls until `check` holds; the bound only fails a test that would otherwise hang. */
const waitFor = (check: () => boolean, timeoutMs = 15_000) => poll(check, timeoutMs);

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
  let context: CallContext;
  const registry = new ToolRegistry();
  const connections = new McpConnections(registry, createLogger("silent"), fastRetry);
  // While this file exists the fake's command exits at once, as a server whose command is broken.
  const downFile = join(scratch, "stdio-down");
  let executor: ToolExecutor;
  const run = (name: string, args: unknown) => executor.execute(registry.get(name), toolCall(name, args), context);
  const names = () => registry.all().map((tool) => tool.name);

  beforeAll(async () => {
    // The database and the servers start together, once for the tests below.
    const [database] = await Promise.all([
      sharedDatabase(),
      connections.start([
        fakeServer("fake", { MCP_FAKE_DOWN_FILE: downFile }),
        { name: "broken", command: "/nonexistent/mcp-server", args: [] },
      ]),
    ]);
    executor = new ToolExecutor(database.db);
    const channel = await new ConversationStore(database.db).ensureChannel("web", "mcp", "mcp");
    context = { channelId: channel.id, author: { id: "ann" } };
    // start() settles once the first attempt has connected or failed. On a loaded machine the fake
    // (node compiling TypeScript through tsx) may miss the 15 s handshake deadline; it is then
    // retried at once (fastRetry), so wait for it to be ready rather than fail every test below.
    await waitFor(() => connections.connected().includes("fake"), 40_000);
  });

  afterAll(async () => {
    await connections.close();
  });

  it("lists its tools at start, namespaced, and skips the server that failed", () => {
    expect(names()).toEqual(expect.arrayContaining(["fake__add", "fake__fail", "fake__wait_for_it", "fake__grow", "fake__crash"]));
    expect(names().every((name) => /^[a-zA-Z0-9_-]{1,64}$/.test(name))).toBe(true);
    expect(names().some((name) => name.startsWith("broken__"))).toBe(false);
    expect(connections.connected()).toEqual(["fake"]);
    expect(registry.get("fake__add")).toMatchObject({
      category: "mcp:fake",
      description: "Add two numbers.",
      parameters: { type: "object", required: ["a", "b"] },
    });
  });

  it("takes each tool's risk from the server's annotations: read-only is read, the rest external", () => {
    expect(registry.get("fake__add")?.risk).toBe("read");
    expect(registry.get("fake__fail")?.risk).toBe("external");
  });

  it("runs a tool under the executor's policy, validating with the server's schema", async () => {
    expect(await run("fake__add", { a: 2, b: 40 })).toEqual({ name: "fake__add", ok: true, content: "42" });
    expect((await run("fake__add", { a: "2", b: 40 })).content).toMatch(/^Error: invalid arguments for fake__add: a: .*expected number/);
    expect((await run("fake__fail", {})).content).toBe("Error: fake__fail failed: the fake failed on purpose");
  });

  it("aborts a call on timeout", async () => {
    const tool = registry.get("fake__wait_for_it")!;
    const outcome = await executor.execute(
      { ...tool, policy: { ...tool.policy, timeoutMs: 100 } },
      { id: "slow", name: tool.name, arguments: "{}" },
      context,
    );
    expect(outcome.content).toBe("Error: fake__wait_for_it timed out after 100 ms.");
  });

  it("picks up tools the server adds", async () => {
    await run("fake__grow", {});
    await waitFor(() => registry.get("fake__extra") !== undefined);
    expect(await run("fake__extra", {})).toMatchObject({ ok: true, content: "extra here" });
  });

  it("withdraws the tools of a server that crashes, and registers them again once its command works", async () => {
    writeFileSync(downFile, "");
    expect((await run("fake__crash", {})).ok).toBe(false);
    await waitFor(() => !names().some((name) => name.startsWith("fake__")));
    expect(connections.connected()).toEqual([]);
    expect((await run("fake__add", { a: 1, b: 1 })).content).toBe('Error: there is no tool named "fake__add" in this channel.');
    rmSync(downFile);
    await waitFor(() => registry.get("fake__add") !== undefined);
    expect(connections.connected()).toEqual(["fake"]);
    expect(await run("fake__add", { a: 1, b: 1 })).toMatchObject({ ok: true, content: "2" });
  });
});

describe("MCP_SERVERS in the app", () => {
  it("connects at start, and a broken server does not stop the bot", async () => {
    const t = await startTestApp({ MCP_SERVERS: JSON.stringify([fakeServer("calc"), { name: "gone", command: "/nonexistent/mcp" }]) });
    try {
      const reply = await t.post("/api/commands", {
        channel: "general",
        user: "ada",
        command: "/tools",
        text: 'run calc__add {"a": 1, "b": 2}',
      });
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
  let context: CallContext;
  let executor: ToolExecutor;
  const opened: { stop(): Promise<void> }[] = [];
  const greet = (registry: ToolRegistry) =>
    executor.execute(registry.get("remote__greet"), toolCall("remote__greet", { who: "ann" }), context);
  // An MCP tool not marked read-only is external: what it returns comes back marked untrusted.
  const hello = { name: "remote__greet", ok: true, content: "hello ann", untrusted: true };

  /** A remote server and connections to it, both closed after the test. */
  async function setUp(pingIntervalMs?: number) {
    const remote = await new HttpMcpServer().start();
    const registry = new ToolRegistry();
    const connections = new McpConnections(registry, createLogger("silent"), fastRetry);
    opened.push(remote, { stop: () => connections.close() });
    const settings: McpServerSettings = {
      name: "remote",
      url: remote.url,
      headers: { authorization: "Bearer mcp-key" },
      ...(pingIntervalMs && { pingIntervalMs }),
    };
    return { remote, registry, connections, settings };
  }

  beforeAll(async () => {
    const database = await sharedDatabase();
    executor = new ToolExecutor(database.db);
    const channel = await new ConversationStore(database.db).ensureChannel("web", "mcp-http", "mcp-http");
    context = { channelId: channel.id, author: { id: "ann" } };
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((thing) => thing.stop()));
  });

  it("connects with its headers and runs its tools", async () => {
    const { remote, registry, connections, settings } = await setUp();
    await connections.start([settings]);
    expect(registry.all().map((tool) => tool.name)).toEqual(["remote__greet"]);
    expect(await greet(registry)).toEqual(hello);
    expect(remote.seenAuth.length).toBeGreaterThan(0);
    expect(remote.seenAuth.every((value) => value === "Bearer mcp-key")).toBe(true);
  });

  it("notices a stopped server by its ping, withdraws its tools, and brings them back when it returns on the same port", async () => {
    const { remote, registry, connections, settings } = await setUp(50);
    await connections.start([settings]);
    expect(connections.connected()).toEqual(["remote"]);
    await remote.stop();
    await waitFor(() => registry.get("remote__greet") === undefined);
    expect(connections.connected()).toEqual([]);
    await remote.start();
    await waitFor(() => registry.get("remote__greet") !== undefined);
    expect(connections.connected()).toEqual(["remote"]);
    expect(await greet(registry)).toEqual(hello);
  });

  it("withdraws the tools as soon as a call finds the server gone, long before the next ping", async () => {
    const { remote, registry, connections, settings } = await setUp(3_600_000);
    await connections.start([settings]);
    await remote.stop();
    expect((await greet(registry)).ok).toBe(false);
    expect(registry.get("remote__greet")).toBeUndefined();
    await remote.start();
    await waitFor(() => registry.get("remote__greet") !== undefined);
    expect(await greet(registry)).toEqual(hello);
  });

  it("registers a server that was down at start once it is up", async () => {
    const { remote, registry, connections, settings } = await setUp();
    await remote.stop();
    await connections.start([settings]);
    expect(registry.get("remote__greet")).toBeUndefined();
    expect(connections.connected()).toEqual([]);
    await remote.start();
    await waitFor(() => registry.get("remote__greet") !== undefined);
    expect(await greet(registry)).toEqual(hello);
  });
});

describe("a stateful MCP server over streamable HTTP", () => {
  it("that restarts and forgets our session (404) is reconnected with a new session", async () => {
    // Sessions as the SDK documents them: one transport per session id, 404 for an unknown one.
    const sessions = new Map<string, StreamableHTTPServerTransport>();
    let initialized = 0;
    const http = createServer(async (req, res) => {
      const id = req.headers["mcp-session-id"];
      const known = typeof id === "string" ? sessions.get(id) : undefined;
      if (known) return void known.handleRequest(req, res);
      if (id !== undefined || req.method !== "POST") return void res.writeHead(404).end();
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (session) => void sessions.set(session, transport),
      });
      const server = greetingServer();
      await server.connect(transport);
      initialized++;
      await transport.handleRequest(req, res);
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const registry = new ToolRegistry();
    const connections = new McpConnections(registry, createLogger("silent"), fastRetry);
    const database = await sharedDatabase();
    try {
      const channel = await new ConversationStore(database.db).ensureChannel("web", "mcp-session", "mcp-session");
      const greet = () =>
        new ToolExecutor(database.db).execute(registry.get("remote__greet"), toolCall("remote__greet", { who: "bo" }), {
          channelId: channel.id,
          author: { id: "bo" },
        });
      await connections.start([
        { name: "remote", url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`, headers: {}, pingIntervalMs: 3_600_000 },
      ]);
      expect(await greet()).toMatchObject({ ok: true, content: "hello bo" });
      // A restart in place: the port never closes, but every session is gone.
      const old = [...sessions.values()];
      sessions.clear();
      await Promise.all(old.map((transport) => transport.close()));
      await waitFor(() => initialized === 2 && registry.get("remote__greet") !== undefined);
      expect(await greet()).toMatchObject({ ok: true, content: "hello bo" });
    } finally {
      await connections.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});

describe("closing the MCP connections", () => {
  it("stops retrying a server that is down", async () => {
    // Answers 503 and counts attempts: each retry is one request.
    let attempts = 0;
    const down = createServer((_req, res) => {
      attempts++;
      res.writeHead(503).end("down");
    });
    await new Promise<void>((resolve) => down.listen(0, "127.0.0.1", resolve));
    const connections = new McpConnections(new ToolRegistry(), createLogger("silent"), { retry: { firstMs: 20, maxMs: 20 } });
    try {
      await connections.start([{ name: "down", url: `http://127.0.0.1:${(down.address() as AddressInfo).port}/mcp`, headers: {} }]);
      await waitFor(() => attempts >= 3);
      await connections.close();
      const seen = attempts;
      // Ten retry periods: a retry left scheduled would have come by now.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(attempts).toBe(seen);
    } finally {
      await connections.close();
      down.closeAllConnections();
      await new Promise<void>((resolve) => down.close(() => resolve()));
    }
  });

  it("during backoff leaves nothing running, so the process exits by itself", async () => {
    const remote = await new HttpMcpServer().start();
    const refused = await new HttpMcpServer().start();
    await refused.stop();
    const downFile = join(scratch, "exit-down");
    writeFileSync(downFile, "");
    const src = (path: string) => new URL(`../../src/${path}`, import.meta.url).href;
    // Connected stdio and HTTP servers (pinged), plus a stdio and an HTTP server in backoff.
    const servers: McpServerSettings[] = [
      fakeServer("up"),
      { name: "remote", url: remote.url, headers: {}, pingIntervalMs: 20 },
      fakeServer("crashing", { MCP_FAKE_DOWN_FILE: downFile }),
      { name: "refused", url: refused.url, headers: {} },
    ];
    const script = join(scratch, "close-during-backoff.mts");
    writeFileSync(
      script,
      `const { McpConnections } = await import(${JSON.stringify(src("tools/mcp/connections.ts"))});
const { ToolRegistry } = await import(${JSON.stringify(src("tools/registry.ts"))});
const { createLogger } = await import(${JSON.stringify(src("wiring/log.ts"))});
const connections = new McpConnections(new ToolRegistry(), createLogger("silent"), { retry: { firstMs: 60_000, maxMs: 60_000 } });
await connections.start(${JSON.stringify(servers)});
console.log(JSON.stringify(connections.connected()));
await connections.close();
`,
    );
    try {
      const child = spawn(process.execPath, ["--import", "tsx", script], {
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
        stdio: ["ignore", "pipe", "inherit"],
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      const timeout = new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 30_000).unref());
      const outcome = await Promise.race([exited, timeout]);
      if (outcome === "hung") child.kill("SIGKILL");
      expect(outcome).toBe(0);
      // On a loaded machine the stdio fake (compiled by tsx) may miss its handshake deadline and be
      // in backoff too; the process must exit either way.
      const connected = JSON.parse(output) as string[];
      expect(connected).toContain("remote");
      expect(["up", "remote"]).toEqual(expect.arrayContaining(connected));
    } finally {
      await remote.stop();
    }
  });
});
