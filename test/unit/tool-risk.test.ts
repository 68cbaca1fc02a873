import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Tool as McpToolDescription } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, loadConfig } from "../../src/config.js";
import { type ApprovalSetting, needsApproval, type ToolRisk } from "../../src/tools/approval-policy.js";
import { builtinTools } from "../../src/tools/builtin/index.js";
import type { ChannelMemory } from "../../src/tools/builtin/memory.js";
import { defineTool } from "../../src/tools/define.js";
import { mcpTool } from "../../src/tools/mcp/mcp-tool.js";

describe("tool risk", () => {
  it("gives every builtin the risk DESIGN lists", () => {
    const { tools } = builtinTools(
      loadConfig({
        SEARXNG_URL: "http://127.0.0.1:8080",
        HTTP_APIS: JSON.stringify([{ name: "status", baseUrl: "https://status.example.com" }]),
      }).tools,
      {} as ChannelMemory,
    );
    expect(Object.fromEntries(tools.map((tool) => [tool.name, tool.risk]))).toEqual({
      calculator: "read",
      current_time: "read",
      weather: "read",
      web_search: "read",
      recall: "read",
      remember: "write",
      forget: "write",
      http_request: "external",
    });
  });

  it("is required of every definition: there is no default", () => {
    // @ts-expect-error a definition without `risk` must not type-check
    const tool = defineTool({ name: "norisk", description: "No risk.", category: "test", input: z.object({}), run: () => null });
    expect(tool.risk).toBeUndefined();
  });

  it("takes an MCP tool's risk from readOnlyHint, external otherwise", () => {
    const risk = (annotations?: McpToolDescription["annotations"]) =>
      mcpTool("srv", { name: "t", inputSchema: { type: "object" }, annotations }, {} as Client, {}).risk;
    expect(risk({ readOnlyHint: true })).toBe("read");
    expect(risk({ readOnlyHint: false })).toBe("external");
    expect(risk({ readOnlyHint: true, destructiveHint: true })).toBe("read");
    expect(risk({ title: "no hints" })).toBe("external");
    expect(risk(undefined)).toBe("external");
  });
});

describe("needsApproval", () => {
  const cases: [ApprovalSetting, Record<ToolRisk, boolean>][] = [
    ["external", { read: false, write: false, external: true }],
    ["write", { read: false, write: true, external: true }],
    ["none", { read: false, write: false, external: false }],
  ];
  it.each(cases)("under TOOL_APPROVAL=%s", (setting, expected) => {
    for (const risk of ["read", "write", "external"] as const) expect([risk, needsApproval(risk, setting)]).toEqual([risk, expected[risk]]);
  });
});

describe("TOOL_APPROVAL", () => {
  it("defaults to external and takes write or none", () => {
    expect(loadConfig({}).tools.approval).toBe("external");
    expect(loadConfig({ TOOL_APPROVAL: "write" }).tools.approval).toBe("write");
    expect(loadConfig({ TOOL_APPROVAL: "none" }).tools.approval).toBe("none");
  });

  it("names the variable, the value and the choices when it is wrong", () => {
    expect(() => loadConfig({ TOOL_APPROVAL: "all" })).toThrow(ConfigError);
    expect(() => loadConfig({ TOOL_APPROVAL: "all" })).toThrow(/TOOL_APPROVAL: got "all"; expected external .*write .*none/);
    expect(() => loadConfig({ TOOL_APPROVAL: "External" })).toThrow(/TOOL_APPROVAL/);
  });
});
