import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, signedIn, until } from "../support/browser.js";
import { diamond, scriptProjectLlm } from "../support/project-llm.js";

/** /project in the console: real BullMQ on the local Redis, the fake model as coordinator and specialists. */
describe("projects in the console", () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp({ PROJECT_RETRY_BACKOFF_MS: "50" }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it("opens the project's thread from wherever /project was typed", async () => {
    scriptProjectLlm(t.llm, { plans: [diamond], work: (key) => (key === "d" ? "# Report\nAll done." : `Result of ${key}.`) });
    // An existing thread, not a new conversation: the project still gets (and opens) its own.
    const { json } = await t.post("/api/chat", { channel: "ops", user: "ada", text: "hello" });
    const { context, page } = await signedIn(browser, t);
    await page.goto(`${t.app.url}/#ops/${json.thread}`);
    const composer = page.getByRole("textbox", { name: "Message", exact: true });
    await composer.fill("/project Compare the vendors");
    await composer.press("Enter");

    const openThread = () => decodeURIComponent(new URL(page.url()).hash).split("/")[1];
    await until(openThread).not.toBe(json.thread);
    const thread = openThread();
    const threads = (await t.get("/api/channels/ops/threads")).json as { thread: string; title: string }[];
    expect(threads.find((entry) => entry.thread === thread)?.title).toBe("Project: Compare the vendors");
    // The report once; after a reload, one checklist (live, the last edit still comes as a second
    // message: the web poster's id for it is not the stored row's).
    const log = page.getByRole("log", { name: "Messages" });
    await log.getByRole("article").filter({ hasText: "All done." }).waitFor({ timeout: 30_000 });
    await log.getByRole("article").filter({ hasText: "Status: done" }).first().waitFor();
    expect(await log.getByRole("article").filter({ hasText: "All done." }).count()).toBe(1);
    await page.reload();
    await log.getByRole("article").filter({ hasText: "All done." }).waitFor();
    expect(await log.getByRole("article").filter({ hasText: "Status:" }).count()).toBe(1);
    expect(await log.getByRole("article").filter({ hasText: "All done." }).count()).toBe(1);
    await context.close();
  });
});
