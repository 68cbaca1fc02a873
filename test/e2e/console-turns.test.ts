import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, signedIn, until } from "../support/browser.js";

const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");

/** Controlling an answer from the console: Stop (button and Esc) ends it on the server. */
describe("stopping an answer in the console", () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp({ LLM_TIMEOUT_MS: "60000" }), launchBrowser()]);
    // Slow enough that a person can stop it long before it ends.
    t.llm.mock.addFixture({
      match: { predicate: () => true },
      response: { content: long },
      chunkSize: 6,
      streamingProfile: { ttft: 0, tps: 2 },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const composer = (page: Page) => page.getByRole("textbox", { name: "Message", exact: true });
  const answer = (page: Page) => page.getByRole("log", { name: "Messages" }).getByRole("article").filter({ hasText: "word0" });

  async function stopsWith(how: (page: Page) => Promise<void>) {
    const { context, page } = await signedIn(browser, t);
    await composer(page).fill("tell me a long story");
    await composer(page).press("Enter");
    await answer(page).and(page.locator('[aria-busy="true"]')).waitFor();
    const requests = t.llm.mock.getRequests().length;
    await how(page);
    await page.getByRole("button", { name: "Stop" }).waitFor({ state: "hidden" });
    await until(() => answer(page).getAttribute("aria-busy")).toBe(null);
    await until(() => answer(page).textContent()).toContain("stopped");

    // Stored as far as it got, marked stopped; the model was asked once, and its call cut short.
    const thread = decodeURIComponent(new URL(page.url()).hash.split("/")[1] ?? "");
    const stored = (await t.get(`/api/threads/${thread}/messages`)).json as { role: string; text: string; stopped?: boolean }[];
    const reply = stored.at(-1)!;
    expect(reply.role).toBe("assistant");
    expect(reply.stopped).toBe(true);
    expect(reply.text.startsWith("word0")).toBe(true);
    expect(reply.text.length).toBeLessThan(long.length);
    expect(t.llm.mock.getRequests().length).toBe(requests);
    // Reloaded, it still says so.
    await page.reload();
    await until(() => answer(page).textContent()).toContain("stopped");
    await context.close();
  }

  it("stops with the Stop button", () => stopsWith((page) => page.getByRole("button", { name: "Stop" }).click()));

  it("stops with Esc", () => stopsWith((page) => composer(page).press("Escape")));

  it("answers 409 when nothing runs, 404 for a thread of another channel", async () => {
    t.llm.mock.clearFixtures();
    t.llm.mock.addFixture({ match: { predicate: () => true }, response: { content: "Done." } });
    const { json } = await t.post("/api/chat", { channel: "general", user: "ada", text: "quick" });
    expect((await t.post(`/api/threads/${json.thread}/stop`, { channel: "general" })).status).toBe(409);
    expect((await t.post(`/api/threads/${json.thread}/stop`, { channel: "other" })).status).toBe(404);
    expect((await t.post(`/api/threads/${json.thread}/stop`, {})).status).toBe(400);
    // Regenerate guards its thread the same way.
    const other = await t.post(`/api/threads/${json.thread}/regenerate`, { channel: "other", user: "ada" });
    expect([other.status, other.json]).toEqual([404, { error: "No such thread in this channel." }]);
    const bad = await t.post(`/api/threads/${"x".repeat(201)}/regenerate`, { channel: "general", user: "ada" });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/^Bad thread id: /);
  });

  it("regenerates the newest answer, keeping the earlier one", async () => {
    let answers = 0;
    t.llm.mock.clearFixtures();
    t.llm.mock.addFixture({ match: { predicate: () => true }, response: async () => ({ content: `Answer number ${++answers}.` }) });
    const { context, page } = await signedIn(browser, t);
    await composer(page).fill("pick a number");
    await composer(page).press("Enter");
    const log = page.getByRole("log", { name: "Messages" });
    const first = log.getByRole("article").filter({ hasText: "Answer number 1." });
    await first.getByRole("button", { name: "Regenerate" }).click();
    const second = log.getByRole("article").filter({ hasText: "Answer number 2." });
    await second.getByRole("button", { name: "Regenerate" }).waitFor();
    expect(await log.getByRole("button", { name: "Regenerate" }).count()).toBe(1);
    expect(await first.getByRole("button", { name: "Copy", exact: true }).count()).toBe(1);

    // Stored: the question once, both answers; the model was asked the question alone again.
    const thread = decodeURIComponent(new URL(page.url()).hash.split("/")[1] ?? "");
    const stored = (await t.get(`/api/threads/${thread}/messages`)).json as { role: string; text: string }[];
    expect(stored.map((m) => [m.role, m.text])).toEqual([
      ["user", "pick a number"],
      ["assistant", "Answer number 1."],
      ["assistant", "Answer number 2."],
    ]);
    // The question is asked again; the earlier answer is in the thread the model sees, so it can try otherwise.
    const asked = t.llm.mock.getRequests().at(-1)!.body as { messages: { role: string; content: unknown }[] };
    expect(asked.messages.at(-1)).toEqual({ role: "user", content: "you: pick a number" });
    expect(asked.messages.filter((m) => m.role === "assistant").map((m) => m.content)).toEqual(["Answer number 1."]);
    await page.reload();
    await log.getByRole("article").filter({ hasText: "Answer number 2." }).getByRole("button", { name: "Regenerate" }).waitFor();
    await context.close();
  });
});
