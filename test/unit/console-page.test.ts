import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { describe, expect, it } from "vitest";

const html = readFileSync(fileURLToPath(new URL("../../src/adapters/web/console.html", import.meta.url)), "utf8");

function inlineScript(): string {
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  expect(scripts.length).toBeGreaterThan(0);
  for (const m of scripts) expect(m[1] ?? "").not.toMatch(/\bsrc\s*=/i);
  return scripts.map((m) => m[2] ?? "").join("\n;\n");
}

describe("web console page", () => {
  it("is self-contained: no external scripts, styles, images or fonts", () => {
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import/i);
  });

  it("uses every console API path", () => {
    for (const path of [
      "/api/health",
      "/api/channels",
      "/threads",
      "/api/threads/",
      "/messages",
      "/api/chat",
      "/api/commands",
      "/api/events",
    ]) {
      expect(html, path).toContain(path);
    }
  });

  it("has an inline script that parses and renders Markdown safely", () => {
    const script = new vm.Script(inlineScript(), { filename: "console.html" });
    // Without a `document` the page only defines its pure helpers.
    const context = vm.createContext({});
    script.runInContext(context);
    const render = (context as { renderMarkdown: (s: string) => string }).renderMarkdown;

    const out = render('<img src=x onerror="alert(1)"> **b** _i_ `<b>` [ok](https://e.com/a?x=1&y=2) [bad](javascript:alert(1))');
    expect(out).not.toMatch(/<img|<b>|href="javascript/i);
    expect(out).toContain("&lt;img");
    expect(out).toContain("<strong>b</strong>");
    expect(out).toContain("<em>i</em>");
    expect(out).toContain("<code>&lt;b&gt;</code>");
    expect(out).toContain('href="https://e.com/a?x=1&amp;y=2"');
    expect(render("a\n```ts\nconst x = 1 < 2;\n```\nb")).toBe('a<pre><span class="lang">ts</span><code>const x = 1 &lt; 2;</code></pre>b');
  });
});
