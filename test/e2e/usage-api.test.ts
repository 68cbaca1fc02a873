import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUDGET_SPENT } from "../../src/agents/usage/ledger.js";
import { scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { waitFor } from "../support/wait.js";

describe("GET /api/usage and /usage, with the fake LLM reporting usage in its last chunk", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LLM_PRICES: JSON.stringify({ "fake-model": { input: 0.15, output: 0.6 } }) });
  });
  afterAll(() => t?.stop());

  it("answers a channel's tokens and cost today, per model, as the model reported them", async () => {
    let calls = 0;
    scriptLlm(t.llm, () =>
      calls++ === 0
        ? { toolCalls: [{ name: "calculator", arguments: { expression: "6 * 7" } }], usage: { promptTokens: 1_000, completionTokens: 100 } }
        : { content: "It is 42.", usage: { promptTokens: 1_200, completionTokens: 50 } },
    );
    const answered = await t.post("/api/chat", { channel: "spend", user: "ada", text: "what is 6 times 7?" });
    expect(answered.json.reply.text).toBe("It is 42.");
    // Recorded off the reply's path.
    await waitFor(async () => (await t.get("/api/usage?channel=spend")).json.promptTokens === 2_200, 10_000, "the usage recorded");
    const usage = await t.get("/api/usage?channel=spend");
    expect(usage.status).toBe(200);
    // (2,200 × 0.15 + 150 × 0.6) / 1,000,000 dollars.
    const spent = { promptTokens: 2_200, completionTokens: 150, costUsd: 0.00042 };
    expect(usage.json).toEqual({ channel: "spend", ...spent, byModel: { "fake-model": spent } });
    expect((await t.get("/api/usage?channel=spend&days=30")).json).toEqual(usage.json);
    expect((await t.get("/api/usage?channel=quiet")).json).toEqual({
      channel: "quiet",
      promptTokens: 0,
      completionTokens: 0,
      costUsd: 0,
      byModel: {},
    });
    // Any platform's channel, by its id.
    expect((await t.get("/api/usage?channel=slack:C0NOTHING")).json).toMatchObject({ channel: "slack:C0NOTHING", promptTokens: 0 });

    const command = await t.post("/api/commands", { channel: "spend", user: "ada", command: "/usage", text: "" });
    expect(command.json.text).toContain("2,350 tokens (2,200 prompt + 150 completion), $0.00042");
    expect(command.json.text).toContain("Budget: none");
  });

  it("refuses a bad query with 400 saying what is wrong, and asks for credentials like every route", async () => {
    const cases: [string, RegExp][] = [
      ["", /channel: required/],
      ["?channel=", /channel: expected a console channel name/],
      ["?channel=No%20Such!", /channel: expected a console channel name/],
      ["?channel=spend&days=0", /days: expected a whole number of days from 1 to 366/],
      ["?channel=spend&days=1.5", /days: expected a whole number of days/],
      ["?channel=spend&days=many", /days: expected a whole number of days/],
      ["?channel=spend&days=367", /days: expected a whole number of days/],
    ];
    for (const [query, error] of cases) {
      const response = await t.get(`/api/usage${query}`);
      expect(response.status, query).toBe(400);
      expect(response.json.error, query).toMatch(error);
    }
    const anonymous = await fetch(`${t.app.url}/api/usage?channel=spend`);
    expect(anonymous.status).toBe(401);
  });
});

describe("CHANNEL_DAILY_TOKENS through the web API", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CHANNEL_DAILY_TOKENS: "2000" });
  });
  afterAll(() => t?.stop());

  it("says the budget is spent, without calling the model, once a channel's day is used up", async () => {
    scriptLlm(t.llm, () => ({ content: "Here is a long answer.", usage: { promptTokens: 1_600, completionTokens: 400 } }));
    expect((await t.post("/api/chat", { channel: "thrifty", user: "ada", text: "hello" })).json.reply.text).toBe("Here is a long answer.");
    await waitFor(async () => (await t.get("/api/usage?channel=thrifty")).json.promptTokens === 1_600, 10_000, "the usage recorded");
    const refused = await t.post("/api/chat", { channel: "thrifty", user: "ada", text: "and again?" });
    expect(refused.json.reply.text).toBe(BUDGET_SPENT);
    expect(t.llm.mock.getRequests()).toHaveLength(1);
    const command = await t.post("/api/commands", { channel: "thrifty", user: "ada", command: "/usage", text: "" });
    expect(command.json.text).toContain("Budget: 2,000 of 2,000 tokens used; spent until 00:00 UTC");
    // Nor does a project start: its calls would spend more.
    const project = await t.post("/api/commands", { channel: "thrifty", user: "ada", command: "/project", text: "Compare vendors" });
    expect(project.json.text).toBe(`⚠️ ${BUDGET_SPENT}`);
    // Another channel's day is its own.
    expect((await t.post("/api/chat", { channel: "other", user: "ada", text: "hello" })).json.reply.text).toBe("Here is a long answer.");
  });
});
