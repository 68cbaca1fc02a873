import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { defineTool } from "../../src/tools/define.js";
import { searchTools } from "../../src/tools/discovery.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import type { ToolStats } from "../../src/tools/stats.js";
import { type LocalBot, startLocalBot } from "../support/local-bot.js";

const tool = (name: string, description: string, adminOnly = false) =>
  defineTool({ name, description, category: "test", risk: "read", input: z.object({}), policy: { adminOnly }, run: () => name });

const stats = (successRate: number): ToolStats => ({ calls: 10, successRate, meanMs: 1, p95Ms: 2, lastUsed: new Date() });

describe("per-channel access", () => {
  const registry = new ToolRegistry([tool("alpha", "First."), tool("beta", "Second."), tool("purge", "Deletes things.", true)], {
    adminUsers: ["slack:U1", "discord:42"],
  });

  it("applies the channel's allow and deny lists", () => {
    const names = (settings: object) => registry.forCaller({ settings }, { id: "x", isAdmin: true }).map((t) => t.name);
    expect(names({})).toEqual(["alpha", "beta", "purge"]);
    expect(names({ allowedTools: ["beta", "purge"] })).toEqual(["beta", "purge"]);
    expect(names({ deniedTools: ["alpha"] })).toEqual(["beta", "purge"]);
  });

  it("shows admin-only tools to admins alone, from platform roles or ADMIN_USERS", () => {
    const names = (platform: string, id: string, isAdmin?: boolean) =>
      registry.forCaller({ settings: {} }, registry.caller(platform, { id, isAdmin })).map((t) => t.name);
    expect(names("slack", "U2")).toEqual(["alpha", "beta"]);
    expect(names("slack", "U2", true)).toContain("purge");
    expect(names("slack", "U1")).toContain("purge");
    expect(names("discord", "42")).toContain("purge");
    // The list is per platform: the same id elsewhere is someone else.
    expect(names("web", "U1")).toEqual(["alpha", "beta"]);
  });

  it("reads ADMIN_USERS and refuses a malformed entry", () => {
    expect(loadConfig({ ADMIN_USERS: "slack:U1, discord:42" }).adminUsers).toEqual(["slack:U1", "discord:42"]);
    expect(loadConfig({}).adminUsers).toEqual([]);
    expect(() => loadConfig({ ADMIN_USERS: "U1" })).toThrow(ConfigError);
    expect(() => loadConfig({ ADMIN_USERS: "U1" })).toThrow(/ADMIN_USERS: got "U1"; expected platform:userId/);
  });
});

describe("discovery", () => {
  const tools = [
    tool("weather", "Current weather and forecast for a place."),
    tool("web_search", "Search the web for current pages; use for news and weather reports."),
    tool("calculator", "Evaluate arithmetic."),
    tool("forecast_sales", "Forecast next quarter's sales."),
  ];

  it("ranks name matches first, then description matches", () => {
    expect(searchTools(tools, "weather", new Map()).map((t) => t.name)).toEqual(["weather", "web_search"]);
    expect(searchTools(tools, "ARITHMETIC", new Map()).map((t) => t.name)).toEqual(["calculator"]);
    expect(searchTools(tools, "zebra", new Map())).toEqual([]);
    expect(searchTools(tools, " ", new Map())).toEqual([]);
  });

  it("breaks ties by past success rate", () => {
    const found = (rates: Record<string, number>) =>
      searchTools(tools, "forecast", new Map(Object.entries(rates).map(([name, rate]) => [name, stats(rate)]))).map((t) => t.name);
    // weather and forecast_sales both match "forecast" in name or description; the name match wins.
    expect(found({})).toEqual(["forecast_sales", "weather"]);
    const tied = [tool("a_tool", "Looks things up."), tool("b_tool", "Looks things up.")];
    expect(
      searchTools(
        tied,
        "looks",
        new Map([
          ["b_tool", stats(0.9)],
          ["a_tool", stats(0.5)],
        ]),
      ).map((t) => t.name),
    ).toEqual(["b_tool", "a_tool"]);
    expect(searchTools(tied, "looks", new Map()).map((t) => t.name)).toEqual(["a_tool", "b_tool"]);
  });
});

describe("a denied tool in the app", () => {
  let bot: LocalBot;
  beforeAll(async () => {
    bot = await startLocalBot();
    const store = new ConversationStore(bot.database.db);
    const channel = await store.ensureChannel("web", "locked", "locked");
    await store.updateChannelSettings(channel.id, { deniedTools: ["calculator"] });
  });
  afterAll(() => bot.close());

  it("is neither shown to the model, listed, nor runnable", async () => {
    const offered: string[][] = [];
    bot.llm.always((request) => {
      offered.push((request.tools ?? []).map((spec) => spec.name));
      return { content: "ok" };
    });
    await bot.chat("locked", "what is 2+2?", { user: "ada" });
    expect(offered[0]).toEqual(expect.arrayContaining(["remember", "recall"]));
    expect(offered[0]).not.toContain("calculator");

    const list = await bot.command("locked", "/tools", "", "ada");
    expect(list).not.toContain("calculator");
    const run = await bot.command("locked", "/tools", 'run calculator {"expression": "1+1"}', "ada");
    expect(run).toBe('No tool "calculator" is available in this channel. `/tools` lists them.');
  });
});
