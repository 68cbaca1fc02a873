import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, signedIn, until } from "../support/browser.js";

const answer = [
  "Steps:",
  "",
  "1. plan",
  "2. build",
  "",
  "> quoted words",
  "",
  "| name | value |",
  "|---|---|",
  "| depth | 3 |",
  "",
  "```sh",
  "npm start",
  "```",
  "",
  'Raw: <img src=x onerror="window.pwned=1"> <b>not bold</b> [bad](javascript:window.pwned=2) [good](https://example.com/a)',
].join("\n");

/** Answers rendered by marked and DOMPurify in the page: structure as elements, raw HTML as text. */
describe("Markdown in the console", () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(), launchBrowser()]);
    t.llm.mock.addFixture({ match: { predicate: () => true }, response: { content: answer } });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it("shows lists, quotes, tables and code blocks, raw HTML as text, and copies code and answers", async () => {
    const { json } = await t.post("/api/chat", { channel: "general", user: "ada", text: "format something" });
    const { context, page } = await signedIn(browser, t, { permissions: ["clipboard-read", "clipboard-write"] });
    await page.goto(`${t.app.url}/#general/${json.thread}`);
    const reply = page.getByRole("log", { name: "Messages" }).getByRole("article").filter({ hasText: "Steps:" });
    await reply.waitFor();

    expect(await reply.getByRole("list").getByRole("listitem").allTextContents()).toEqual(["plan", "build"]);
    expect(await reply.getByRole("blockquote").textContent()).toContain("quoted words");
    expect(await reply.getByRole("table").getByRole("columnheader").allTextContents()).toEqual(["name", "value"]);
    expect(await reply.getByRole("table").getByRole("cell").allTextContents()).toEqual(["depth", "3"]);
    expect(await reply.locator("pre code").textContent()).toBe("npm start\n");

    // Typed HTML is text: no image, no bold, no script ran; a javascript: link is no link.
    expect(await reply.locator("img, b").count()).toBe(0);
    expect(await reply.textContent()).toContain('<img src=x onerror="window.pwned=1"> <b>not bold</b>');
    expect(await page.evaluate("window.pwned ?? null")).toBe(null);
    expect(await reply.getByRole("link", { name: "bad" }).count()).toBe(0);
    expect(await reply.locator('[href^="javascript"]').count()).toBe(0);
    const good = reply.getByRole("link", { name: "good" });
    expect([await good.getAttribute("href"), await good.getAttribute("rel")]).toEqual(["https://example.com/a", "noopener noreferrer"]);

    await reply.getByRole("button", { name: "Copy code" }).click();
    await until(() => page.evaluate("navigator.clipboard.readText()")).toBe("npm start\n");
    await reply.getByRole("button", { name: "Copy", exact: true }).click();
    await until(() => page.evaluate("navigator.clipboard.readText()")).toBe(answer);
    await context.close();
  });
});
