import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import type { TestApp } from "./app.js";

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it); CHROMIUM_PATH for another. */
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Where the runs' screenshots go; ignored by git, kept as CI's artefacts. */
const resultsDir = new URL("../../test-results/", import.meta.url);

/** One browser for a test file: Chromium is heavy, and this machine has two cores. Contexts are per test. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true });
}

/** A fresh profile (cookies, storage) signed in to the app through its printed login link. */
export async function signedIn(
  browser: Browser,
  t: TestApp,
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, ...options });
  // Well under the test's own timeout, so a missing element fails with what was looked for.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  await page.goto(`${t.app.url}/login?token=${encodeURIComponent(t.token)}`);
  // The page is ready once its live connection is: events sent before then would be missed.
  await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
  return { context, page };
}

/** Polls what the page shows until it matches, as a person waits for it (no fixed delay). */
export const until = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000, interval: 50 });

/** The focused element's id, or its text when it has none (the page's scripts are strings here: no DOM types). */
export const focused = (page: Page) =>
  page.evaluate("document.activeElement?.id || document.activeElement?.textContent") as Promise<string>;

/** Writes a screenshot under test-results/. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(resultsDir, { recursive: true });
  const path = new URL(`${name}.png`, resultsDir).pathname;
  await page.screenshot({ path });
  return path;
}

const axeSource = readFileSync(fileURLToPath(import.meta.resolve("axe-core/axe.min.js")), "utf8");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * axe-core's serious and critical findings on the page as it is now. Its source is evaluated
 * through the DevTools protocol, which the page's Content-Security-Policy does not govern.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  // A string, evaluated in the page: the test's own TypeScript has no DOM types.
  const found = (await page.evaluate(`axe.run(document).then((result) => result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")),
  })))`)) as AxeViolation[];
  return found.filter((v) => v.impact === "serious" || v.impact === "critical");
}
