import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";
import { focused, launchBrowser, screenshot, seriousViolations, signedIn, until } from "../support/browser.js";

/** The console in Debian's Chromium against the real server and the fake model, found by role and name as people find it. */
describe("the web console in a browser", () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  /** The model streams its answer a few characters at a time, slowly enough to be seen streaming. */
  function slowAnswers(text: (asked: string) => string, tps = 8): void {
    t.llm.mock.clearFixtures();
    t.llm.mock.addFixture({
      match: { predicate: () => true },
      response: async (request) => {
        const last = request.messages.at(-1);
        return { content: text(typeof last?.content === "string" ? last.content : "") };
      },
      chunkSize: 6,
      streamingProfile: { ttft: 0, tps },
    });
  }

  const log = (page: Page) => page.getByRole("log", { name: "Messages" });

  it("signs in with the token typed into the form", async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    await page.goto(t.app.url);
    await page.getByLabel("Console token").fill("not the token");
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(await page.getByRole("alert").textContent()).toBe("That is not the console token.");
    await page.getByLabel("Console token").fill(t.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("textbox", { name: "Message", exact: true }).waitFor();
    await context.close();
  });

  it("sends with Enter, keeps Shift+Enter as a new line, streams busy, then dates every message", async () => {
    slowAnswers((asked) => `Answer to ${asked}, which takes a few pieces to stream.`);
    const { context, page } = await signedIn(browser, t);
    const composer = page.getByRole("textbox", { name: "Message", exact: true });
    await composer.fill("first line");
    await composer.press("Shift+Enter");
    await composer.pressSequentially("second line");
    expect(await composer.inputValue()).toBe("first line\nsecond line");
    await composer.press("Enter");
    expect(await composer.inputValue()).toBe("");

    const answer = log(page).getByRole("article").filter({ hasText: "Quorum" }).last();
    await answer.and(page.locator('[aria-busy="true"]')).filter({ hasText: "Answer to" }).waitFor();
    await answer.filter({ hasText: "takes a few pieces to stream." }).and(page.locator(":not([aria-busy])")).waitFor();
    await until(() =>
      log(page)
        .getByText(/typing|thinking/i)
        .count(),
    ).toBe(0);

    const articles = log(page).getByRole("article");
    await until(() => articles.count()).toBe(2);
    const mine = articles.first();
    expect(await mine.textContent()).toContain("you");
    expect(await mine.textContent()).toContain("first line");
    for (const article of await articles.all()) {
      const datetime = await article.locator("time").getAttribute("datetime");
      expect(Number.isNaN(Date.parse(datetime ?? ""))).toBe(false);
    }
    await context.close();
  });

  it("opens #channel/thread on a full page load, its link marked current", async () => {
    t.llm.mock.clearFixtures();
    t.llm.mock.addFixture({ match: { predicate: () => true }, response: { content: "Stored answer." } });
    const { json } = await t.post("/api/chat", { channel: "deep", user: "ada", text: "a thread to link to" });
    const { context, page } = await signedIn(browser, t);
    await page.goto(`${t.app.url}/#deep/${json.thread}`);
    await until(() => log(page).getByRole("article").count()).toBe(2);
    expect(await log(page).getByRole("article").first().textContent()).toContain("a thread to link to");
    const threads = page.getByRole("navigation", { name: "Threads in #deep" });
    await until(() => threads.getByRole("link", { name: /a thread to link to/ }).getAttribute("aria-current")).toBe("page");
    expect(
      await page.getByRole("navigation", { name: "Channels" }).getByRole("link", { name: "# deep" }).getAttribute("aria-current"),
    ).toBe("page");
    await context.close();
  });

  it("skips to the message box without opening a channel of that name", async () => {
    const { context, page } = await signedIn(browser, t);
    const before = new URL(page.url()).hash;
    // Where a keyboard's first Tab lands, before the page moved focus to the composer.
    await page.getByRole("link", { name: "Skip to message box" }).focus();
    await page.keyboard.press("Enter");
    await until(() => focused(page)).toBe("composer-input");
    expect(new URL(page.url()).hash).toBe(before);
    expect(
      await page
        .getByRole("navigation", { name: "Channels" })
        .getByRole("link", { name: /composer-input/ })
        .count(),
    ).toBe(0);
    await context.close();
  });

  it("has no serious or critical accessibility violations, light, dark and narrow", async () => {
    t.llm.mock.clearFixtures();
    t.llm.mock.addFixture({
      match: { predicate: () => true },
      response: { content: "Here is a list:\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```js\nconsole.log(1)\n```" },
    });
    const { json } = await t.post("/api/chat", { channel: "general", user: "ada", text: "show me the console" });
    for (const [name, options] of [
      ["console-light", { colorScheme: "light" }],
      ["console-dark", { colorScheme: "dark" }],
      ["console-narrow", { colorScheme: "light", viewport: { width: 390, height: 760 } }],
    ] as const) {
      const { context, page } = await signedIn(browser, t, options);
      await page.goto(`${t.app.url}/#general/${json.thread}`);
      await until(() => log(page).getByRole("article").count()).toBe(2);
      await screenshot(page, name);
      expect(await seriousViolations(page), name).toEqual([]);
      await context.close();
    }
  });
});

describe("the settings notice in a browser", () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    // No model configured: the one setting the console needs.
    [t, browser] = await Promise.all([startTestApp({ OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it("lists only what the console needs, and stays dismissed", async () => {
    const { context, page } = await signedIn(browser, t);
    const notice = page.getByRole("region", { name: "Settings not set" });
    await notice.waitFor();
    expect(await notice.textContent()).toContain("OPENAI_API_KEY");
    expect(await notice.textContent()).not.toContain("SLACK");
    expect(await notice.textContent()).not.toContain("DISCORD");
    await notice.getByRole("button", { name: "Dismiss" }).click();
    await until(() => notice.isVisible()).toBe(false);
    await page.reload();
    await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
    await page.getByRole("list").filter({ hasText: "llm:" }).waitFor();
    await until(() => notice.isVisible()).toBe(false);
    await context.close();
  });
});
