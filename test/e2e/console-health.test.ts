import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, signedIn, until } from "../support/browser.js";
import { freePort } from "../support/ports.js";

const healthList = (page: Page) => page.getByRole("list").filter({ hasText: "db:" });

/** Health's `llm` is a real question to the model server (its models list), asked once a minute at most. */
describe("the model's health", () => {
  let browser: Browser;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all(apps.map((app) => app.stop()));
  });

  it("says ok once the model server listed its models, and asks it once a minute", async () => {
    // A model server that only lists its models, counting how often it is asked.
    let listed = 0;
    const server = createHttpServer((request, response) => {
      if (request.url === "/v1/models" && request.headers.authorization === "Bearer sk-test") listed++;
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data: [{ id: "fake-model" }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const t = await startTestApp({ OPENAI_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` });
    apps.push(t);
    try {
      expect(listed).toBe(0);
      expect((await t.get("/api/health")).json).toMatchObject({ status: "ok", llm: "ok" });
      expect((await t.get("/api/health")).json).toMatchObject({ status: "ok", llm: "ok" });
      expect(listed).toBe(1);
      const { context, page } = await signedIn(browser, t);
      await healthList(page).getByText("llm: ok").waitFor();
      expect(await page.getByRole("alert").filter({ hasText: "cannot answer" }).count()).toBe(0);
      expect(listed).toBe(1);
      await context.close();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("says the model server is unreachable, in health and on the page", async () => {
    const t = await startTestApp({ OPENAI_BASE_URL: `http://127.0.0.1:${await freePort()}/v1` });
    apps.push(t);
    const health = (await t.get("/api/health")).json;
    expect(health).toMatchObject({ status: "degraded", db: "ok", llm: "the model server is unreachable (OPENAI_BASE_URL)" });
    const { context, page } = await signedIn(browser, t);
    await page.getByRole("alert").filter({ hasText: "The assistant cannot answer yet." }).waitFor();
    await until(() => healthList(page).textContent()).toContain("llm: the model server is unreachable");
    await context.close();
  });
});
