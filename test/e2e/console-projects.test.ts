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
    [t, browser] = await Promise.all([startTestApp({ PROJECT_RETRY_BACKOFF_MS: "50", PROJECT_STATUS_TICK_MS: "500" }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it("opens the project's thread from wherever /project was typed", async () => {
    // Task a runs until the test has seen its clock tick.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const work = async (key: string) => {
      if (key === "a") await held;
      return key === "d" ? "# Report\nAll done." : `Result of ${key}.`;
    };
    scriptProjectLlm(t.llm, { plans: [diamond], work });
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
    // One checklist, edited in place: its elapsed time ticks while task a runs.
    const log = page.getByRole("log", { name: "Messages" });
    const status = log.getByRole("article").filter({ hasText: "Status:" });
    const checklist = () => status.locator(".body").textContent();
    const clocksOff = (text: string | null) => text?.replace(/\d+(m\d+)?s\b/g, "…");
    await status.filter({ hasText: "Status: working · 0/4 tasks done" }).filter({ hasText: "· running ·" }).waitFor({ timeout: 30_000 });
    const first = await checklist();
    await until(checklist).not.toBe(first);
    expect(clocksOff(await checklist())).toBe(clocksOff(first));
    expect(await status.count()).toBe(1);
    release();
    // The report once, the checklist once, live and after a reload.
    await log.getByRole("article").filter({ hasText: "All done." }).waitFor({ timeout: 30_000 });
    await log.getByRole("article").filter({ hasText: "Status: done" }).first().waitFor();
    expect(await log.getByRole("article").filter({ hasText: "All done." }).count()).toBe(1);
    await until(() => status.textContent()).toContain("Status: done");
    expect(await status.count()).toBe(1);
    await page.reload();
    await log.getByRole("article").filter({ hasText: "All done." }).waitFor();
    expect(await log.getByRole("article").filter({ hasText: "Status:" }).count()).toBe(1);
    expect(await log.getByRole("article").filter({ hasText: "All done." }).count()).toBe(1);
    await context.close();
  });
});
