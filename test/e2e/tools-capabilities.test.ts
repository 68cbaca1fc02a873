import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";

describe("/tools in the web console", () => {
  let t: TestApp;
  const tools = async (text: string, channel = "ops") =>
    (await t.post("/api/commands", { channel, user: "ada", command: "/tools", text })).json.text as string;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.stop());

  it("serves statistics in /api/capabilities, beside the contract's fields", async () => {
    await tools('run calculator {"expression": "1 + 1"}');
    const { json } = await t.get("/api/capabilities");
    const calculator = json.tools.find((tool: { name: string }) => tool.name === "calculator");
    expect(calculator).toMatchObject({
      name: "calculator",
      category: "math",
      risk: "read",
      description: expect.any(String),
      stats: { calls: expect.any(Number), successRate: expect.any(Number) },
    });
    const unused = json.tools.find((tool: { name: string }) => tool.name === "weather");
    expect(unused.stats).toBeNull();
    const risks = Object.fromEntries(json.tools.map((tool: { name: string; risk: string }) => [tool.name, tool.risk]));
    expect(risks).toMatchObject({ remember: "write", forget: "write", recall: "read", current_time: "read" });
  });
});
