import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";

describe("graceful shutdown", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.stop());

  it("finishes the reply in flight, refuses new messages, then closes", async () => {
    t.llm.mock.addFixture({ match: { predicate: () => true }, response: { content: "Slow but complete." }, latency: 400 });
    const inFlight = t.post("/api/chat", { channel: "general", user: "ada", text: "take your time" });
    await waitUntil(() => t.llm.mock.getRequests().length > 0);
    const closing = t.app.close();
    const refused = await t.post("/api/chat", { channel: "general", user: "bob", text: "too late" });
    expect(refused.status).toBe(503);
    expect(refused.json.error).toContain("shutting down");
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(answered.json.reply.text).toBe("Slow but complete.");
    await closing;
    await expect(fetch(`${t.app.url}/api/ping`)).rejects.toThrow();
    // Reopen on the same data: the answered turn was stored before the database closed.
    await t.restart();
    const history = await t.get(`/api/threads/${answered.json.thread}/messages`);
    expect(history.json.map((m: { text: string }) => m.text)).toEqual(["take your time", "Slow but complete."]);
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}
