import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { consoleFiles, consolePrefix } from "../../src/adapters/web/console-files.js";

const webDir = new URL("../../src/adapters/web/", import.meta.url);
const consoleDir = new URL("console/", webDir);
const html = readFileSync(new URL("console.html", webDir), "utf8");
/** The page's own style sheets and scripts: every such file in console/. */
const names = readdirSync(consoleDir)
  .filter((name) => /\.(?:css|js)$/.test(name))
  .sort();
const source = (name: string) => readFileSync(new URL(name, consoleDir), "utf8");
const scripts = names.filter((name) => name.endsWith(".js"));
const files: [name: string, text: string][] = [["console.html", html], ...names.map((name): [string, string] => [name, source(name)])];

/** What a module imports: the specifiers of its static and dynamic imports and re-exports. */
function importsOf(code: string): string[] {
  return [...code.matchAll(/(?:\bimport|\bexport)\s*(?:[\w*{}\s,$]+?\s*from\s*)?\(?\s*["'`]([^"'`]+)["'`]/g)].map((m) => m[1] ?? "");
}

describe("web console page", () => {
  it("is self-contained: no external scripts, styles, images or fonts", () => {
    expect(scripts.length).toBeGreaterThan(0);
    for (const [name, text] of files) {
      expect(text, name).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
      expect(text, name).not.toMatch(/url\(\s*["']?\s*(?:https?:)?\/\//i);
      expect(text, name).not.toMatch(/@import/i);
    }
    // The page's scripts are its own modules, and they import only each other and the libraries served beside them.
    const tags = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(tags.length).toBeGreaterThan(0);
    for (const [, attrs = "", body = ""] of tags) {
      expect(attrs).toMatch(/\btype="module"/);
      expect(attrs).toMatch(new RegExp(`\\bsrc="${consolePrefix}[\\w-]+\\.js"`));
      expect(body.trim()).toBe("");
    }
    for (const name of scripts) for (const specifier of importsOf(source(name))) expect(specifier, name).toMatch(/^\.\/[\w.-]+\.m?js$/);
  });

  it("loads only files the server serves, and the server serves all of them", () => {
    // Its own files, and the libraries it imports from node_modules (markdown.js).
    expect([...consoleFiles.keys()].sort()).toEqual([...names, "marked.js", "purify.es.mjs"].sort());
    const loaded = [...html.matchAll(/\b(?:src|href)="([^"#]+)"/g)].map((m) => m[1] ?? "");
    expect(loaded.length).toBeGreaterThan(1);
    for (const path of loaded) {
      expect(path.startsWith(consolePrefix), path).toBe(true);
      expect(consoleFiles.has(path.slice(consolePrefix.length)), path).toBe(true);
    }
    for (const name of scripts)
      for (const specifier of importsOf(source(name))) expect(consoleFiles.has(specifier.slice(2)), specifier).toBe(true);
    for (const name of names) expect(consoleFiles.get(name)?.body, name).toBe(source(name));
  });

  it("holds nothing the console's CSP refuses: no inline script, style element or style attribute", () => {
    const login = readFileSync(new URL("login.html", webDir), "utf8");
    const pages: [name: string, page: string][] = [
      ["console.html", html],
      ["login.html", login],
    ];
    for (const [name, page] of pages) {
      expect(page, name).not.toMatch(/\sstyle\s*=|<style\b|\son[a-z]+\s*=|javascript:/i);
      for (const [, body = ""] of page.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)) expect(body.trim(), name).toBe("");
    }
    for (const path of [...login.matchAll(/\bhref="([^"#]+)"/g)].map((m) => m[1] ?? ""))
      expect(consoleFiles.has(path.slice(consolePrefix.length)), path).toBe(true);
  });

  it("keeps each file small and each script type-checked", () => {
    for (const [name, text] of files) expect(text.split("\n").length, name).toBeLessThanOrEqual(400);
    for (const name of scripts) expect(source(name).startsWith("// @ts-check\n"), name).toBe(true);
  });

  it("uses every console API path", () => {
    const code = scripts.map(source).join("\n");
    for (const path of [
      "/api/health",
      "/api/channels",
      "/threads",
      "/api/threads/",
      "/messages",
      "/api/chat",
      "/api/approvals/",
      "/approvals",
      "/api/commands",
      "/api/events",
      "/api/logout",
    ]) {
      expect(code, path).toContain(path);
    }
  });

  it("shows a call that waits as text, with real Approve and Deny buttons", async () => {
    // No DOM here: the card's module is read, and the texts it shows come from the pure format.js.
    const card = source("approvals.js");
    expect(card).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|renderMarkdown/);
    expect(card).toMatch(/h\("button", \{[^}]*type: "button"[^}]*\}, "Approve"\)/);
    expect(card).toMatch(/h\("button", \{[^}]*type: "button"[^}]*\}, "Deny"\)/);
    expect(card).toMatch(/h\("pre", \{[^}]*text: argsText\(approval\.args\)/);

    const format: {
      argsText(args: unknown): string;
      decisionLine(outcome: string, by: string | undefined, at: string | number): string;
    } = await import(new URL("format.js", consoleDir).href);
    const hostile = '<img src=x onerror="alert(1)">';
    expect(format.argsText({ url: hostile })).toBe(`{\n  "url": ${JSON.stringify(hostile)}\n}`);
    expect(format.argsText(hostile)).toBe(hostile);
    const at = new Date(2026, 0, 2, 9, 5).toISOString();
    expect(format.decisionLine("approved", "ada", at)).toBe("Approved by ada at 09:05");
    expect(format.decisionLine("denied", "bob", at)).toBe("Denied by bob at 09:05");
    expect(format.decisionLine("expired", undefined, at)).toBe("Expired at 09:05: nobody decided in time, so it counts as denied.");
  });
});
