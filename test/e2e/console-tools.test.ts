import type { ChatCompletionRequest } from "@copilotkit/aimock";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeReply, scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, seriousViolations, signedIn, until } from "../support/browser.js";
import { startItemsApi } from "../support/items-api.js";
import { lastUserText } from "../support/scripted-llm.js";

/** A model that adds with the calculator, and fetches with http_request (external: it waits for approval). */
function brain(request: ChatCompletionRequest): FakeReply {
  const last = request.messages.at(-1);
  if (last?.role === "tool") return { content: String(last.content).includes('"items"') ? "Done: got the items." : "Done." };
  const text = lastUserText(request);
  if (/fetch/.test(text)) return { toolCalls: [{ name: "http_request", arguments: { api: "loop", path: "/items" } }] };
  if (/add/.test(text)) return { toolCalls: [{ name: "calculator", arguments: { expression: "2+2" } }] };
  return { content: "Nothing to do." };
}

/** Tools in the console: the chips under an answer, and the card of a call that waits for approval. */
describe("tools in the console", () => {
  let t: TestApp;
  let browser: Browser;
  /** The REST API http_request calls. */
  let api: Awaited<ReturnType<typeof startItemsApi>>;

  beforeAll(async () => {
    api = await startItemsApi();
    [t, browser] = await Promise.all([startTestApp(api.env), launchBrowser()]);
    scriptLlm(t.llm, brain);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await api?.close();
  });

  const log = (page: Page) => page.getByRole("log", { name: "Messages" });
  async function send(page: Page, text: string) {
    const composer = page.getByRole("textbox", { name: "Message", exact: true });
    await composer.fill(text);
    await composer.press("Enter");
  }

  it("shows the tools an answer used, and again after a reload", async () => {
    const { context, page } = await signedIn(browser, t);
    await send(page, "add two and two");
    const answer = log(page).getByRole("article").filter({ hasText: "Done" });
    await answer.getByText("✓ calculator").waitFor();
    await page.reload();
    await answer.getByText("✓ calculator").waitFor();
    expect(await log(page).getByText("✓ calculator").count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  it("asks for approval where the call waits, and runs it once approved", async () => {
    const { context, page } = await signedIn(browser, t);
    await send(page, "fetch the items");
    const card = log(page).getByRole("article").filter({ hasText: "Run http_request with" });
    await card.getByRole("button", { name: "Deny" }).waitFor();
    expect(await card.textContent()).toContain('"path": "/items"');
    expect(await seriousViolations(page)).toEqual([]);
    expect(api.hits).toEqual([]);

    await card.getByRole("button", { name: "Approve" }).click();
    const answer = log(page).getByRole("article").filter({ hasText: "Done" });
    await answer.filter({ hasText: "got the items" }).waitFor();
    await until(() => card.getByRole("button").count()).toBe(0);
    expect(await card.textContent()).toMatch(/approved/i);
    expect(api.hits).toEqual(["/v1/items"]);
    await answer.getByText("✓ http_request").waitFor();
    await page.reload();
    await answer.getByText("✓ http_request").waitFor();
    await context.close();
  });
});
