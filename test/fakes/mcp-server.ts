/**
 * A small MCP server on stdio for tests: `add` (marked read-only), `send` (an outside action that
 * appends what it sends to the file MCP_FAKE_SENT_FILE names, so a test sees whether it ran), a
 * tool that fails, one that adds another tool (so the server announces a changed list), one with
 * a name past OpenAI's limit, and `crash`, which ends the process so the client sees the server
 * disappear. While the file named by MCP_FAKE_DOWN_FILE exists, the server exits at once, as a
 * command that is broken for a while.
 */
import { appendFileSync, existsSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const downFile = process.env.MCP_FAKE_DOWN_FILE;
const sentFile = process.env.MCP_FAKE_SENT_FILE;
if (downFile && existsSync(downFile)) process.exit(4);

const server = new McpServer({ name: "fake", version: "1.0.0" }, { capabilities: { tools: { listChanged: true } } });
const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });

server.registerTool(
  "add",
  { description: "Add two numbers.", inputSchema: { a: z.number(), b: z.number() }, annotations: { readOnlyHint: true } },
  ({ a, b }) => text(String(a + b)),
);
server.registerTool(
  "send",
  { description: "Sends a message to someone outside.", inputSchema: { to: z.string(), text: z.string() } },
  ({ to, text: body }) => {
    if (sentFile) appendFileSync(sentFile, `${to}: ${body}\n`);
    return text(`sent to ${to}`);
  },
);
server.registerTool("fail", { description: "Always reports an error." }, () => ({ ...text("the fake failed on purpose"), isError: true }));
server.registerTool("wait.for.it", { description: "Never answers; honours cancellation." }, () => new Promise(() => undefined));
server.registerTool("a_tool_whose_name_is_far_too_long_for_openai_function_names_to_allow", { description: "Long name." }, () =>
  text("long"),
);
server.registerTool("grow", { description: "Adds the tool `extra`." }, () => {
  server.registerTool("extra", { description: "Arrived later." }, () => text("extra here"));
  return text("grown");
});
server.registerTool("crash", { description: "Exits the server." }, () => process.exit(3));

await server.connect(new StdioServerTransport());
