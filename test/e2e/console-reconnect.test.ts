import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeLlm, startFakeLlm } from "../fakes/llm.js";
import { launchBrowser, seriousViolations, until } from "../support/browser.js";
import { scratchPostgresUrl } from "../support/databases.js";
import { fakeLlmEnv, spawnApp } from "../support/worker-process.js";

type App = Awaited<ReturnType<typeof spawnApp>>;

const long = Array.from({ length: 80 }, (_, i) => `word${i}`).join(" ");

/**
 * The server dies mid-answer (SIGKILL, as a crash) and comes back on the same port and database:
 * the open thread is synced from what was stored, and nothing says the dead turn still runs.
 */
describe("the console after its server restarts mid-answer", () => {
  let llm: FakeLlm;
  let browser: Browser;
  let app: App;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  const token = `test-token-${randomBytes(12).toString("hex")}`;

  beforeAll(async () => {
    const db = await scratchPostgresUrl();
    drop = db.drop;
    [llm, browser] = await Promise.all([startFakeLlm(), launchBrowser()]);
    // Slow enough to be mid-answer when the server is killed.
    llm.mock.addFixture({
      match: { predicate: () => true },
      response: { content: long },
      chunkSize: 6,
      streamingProfile: { ttft: 0, tps: 2 },
    });
    env = {
      ...fakeLlmEnv(llm.url),
      LLM_TIMEOUT_MS: "60000",
      DATABASE_URL: db.url,
      REDIS_PREFIX: `qtest-${randomBytes(4).toString("hex")}`,
      WEB_CONSOLE: "on",
      CONSOLE_TOKEN: token,
      WORKERS: "off",
    };
    app = await spawnApp(env);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await llm?.stop();
    await drop?.();
  });

  const log = (page: Page) => page.getByRole("log", { name: "Messages" });

  it("shows the stored thread, keeps the draft, and no typing or unsent marker outlives the turn", async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    await page.goto(app.loginUrl);
    const live = page.getByRole("status").filter({ hasText: "Live" });
    await live.waitFor();
    const composer = page.getByRole("textbox", { name: "Message", exact: true });
    await composer.fill("tell me a long story");
    await composer.press("Enter");
    await log(page).getByRole("article").filter({ hasText: "word0" }).and(page.locator('[aria-busy="true"]')).waitFor();
    app.child.kill("SIGKILL");
    await new Promise((resolve) => app.child.once("exit", resolve));
    await live.waitFor({ state: "hidden" });
    // Its request cut, the question is offered again; one sent now is not sent at all.
    const question = log(page).getByRole("article").filter({ hasText: "tell me a long story" });
    await question.getByRole("button", { name: "Retry" }).waitFor();
    await composer.fill("sent while offline");
    await composer.press("Enter");
    const offline = log(page).getByRole("article").filter({ hasText: "sent while offline" });
    await offline.getByRole("button", { name: "Retry" }).waitFor();
    await composer.fill("a draft not sent yet");

    app = await spawnApp({ ...env, PORT: new URL(app.url).port });
    await live.waitFor({ timeout: 40_000 });

    // Synced from the server: the question as stored, once, with nothing to retry (it would be
    // sent twice); the unsent one still offered; no half answer left busy.
    const thread = decodeURIComponent(new URL(page.url()).hash.split("/")[1] ?? "");
    const stored = await fetch(`${app.url}/api/threads/${thread}/messages`, { headers: { authorization: `Bearer ${token}` } });
    const messages = (await stored.json()) as { id: string; role: string; text: string }[];
    expect(messages.map((m) => [m.role, m.text])).toEqual([["user", "tell me a long story"]]);
    await until(() => question.getByRole("button", { name: "Retry" }).count()).toBe(0);
    expect(await question.getAttribute("data-id")).toBe(messages[0]!.id);
    expect(await question.count()).toBe(1);
    expect(await offline.getByRole("button", { name: "Retry" }).count()).toBe(1);
    await until(() => log(page).locator('[aria-busy="true"]').count()).toBe(0);
    await until(() =>
      log(page)
        .getByText(/typing|thinking/i)
        .count(),
    ).toBe(0);
    expect(await composer.inputValue()).toBe("a draft not sent yet");
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });
});
