import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ChatCompletionRequest } from "@copilotkit/aimock";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeReply, scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, seriousViolations, signedIn, until } from "../support/browser.js";
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
  /** The REST API http_request calls, on loopback; `hits` says whether a call ran. */
  let api: Server;
  const hits: string[] = [];

  beforeAll(async () => {
    api = createServer((req, res) => {
      hits.push(req.url ?? "");
      res.writeHead(200, { "content-type": "application/json" }).end('{"items":[1,2]}');
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    const { port } = api.address() as AddressInfo;
    [t, browser] = await Promise.all([
      startTestApp({
        HTTP_APIS: JSON.stringify([{ name: "loop", baseUrl: `http://127.0.0.1:${port}/v1` }]),
        HTTP_ALLOWED_HOSTS: "127.0.0.1",
      }),
      launchBrowser(),
    ]);
    scriptLlm(t.llm, brain);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await new Promise<void>((resolve) => api.close(() => resolve()));
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
    expect(hits).toEqual([]);

    await card.getByRole("button", { name: "Approve" }).click();
    const answer = log(page).getByRole("article").filter({ hasText: "Done" });
    await answer.filter({ hasText: "got the items" }).waitFor();
    await until(() => card.getByRole("button").count()).toBe(0);
    expect(await card.textContent()).toMatch(/approved/i);
    expect(hits).toEqual(["/v1/items"]);
    await answer.getByText("✓ http_request").waitFor();
    await page.reload();
    await answer.getByText("✓ http_request").waitFor();
    await context.close();
  });
});
