import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scriptLlm, startTestApp, type TestApp } from "../support/app.js";

const METRICS_TOKEN = "metrics-scraper-token-0123456789";

/** The value of one series in Prometheus text, or undefined when it is not there. */
function series(text: string, name: string, labels: string): number | undefined {
  const line = text.split("\n").find((row) => row.startsWith(`${name}{${labels}}`) || (labels === "" && row.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("GET /metrics", () => {
  let t: TestApp;
  const scrape = (authorization?: string) =>
    fetch(`${t.app.url}/metrics`, { headers: authorization ? { authorization } : {} }).then(async (response) => ({
      status: response.status,
      type: response.headers.get("content-type"),
      text: await response.text(),
    }));

  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("opens to the console token or METRICS_TOKEN only, and the metrics token opens nothing else", async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape("Bearer not-the-token-at-all-0000")).status).toBe(401);
    const withMetricsToken = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(withMetricsToken.status).toBe(200);
    expect(withMetricsToken.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect((await scrape(t.auth.authorization)).status).toBe(200);
    const other = await fetch(`${t.app.url}/api/channels`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(other.status).toBe(401);
  });

  it("counts messages, replies and their duration, tokens, tool calls and projects, with the process defaults", async () => {
    let calls = 0;
    scriptLlm(t.llm, () =>
      calls++ === 0 ? { toolCalls: [{ name: "calculator", arguments: { expression: "6 * 7" } }] } : { content: "It is 42." },
    );
    const answered = await t.post("/api/chat", { channel: "metrics", user: "ada", text: "what is 6 times 7?" });
    expect(answered.json.reply.text).toBe("It is 42.");
    await t.post("/api/chat", { channel: "metrics", user: "ada", text: "again", id: "same-send" });
    await t.post("/api/chat", { channel: "metrics", user: "ada", text: "again", id: "same-send" });

    const { text } = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(series(text, "quorum_messages_total", 'platform="web"')).toBe(3);
    expect(series(text, "quorum_replies_total", 'platform="web",outcome="ok"')).toBe(2);
    expect(series(text, "quorum_replies_total", 'platform="web",outcome="repeated"')).toBe(1);
    expect(series(text, "quorum_reply_duration_seconds_count", 'platform="web"')).toBe(2);
    expect(series(text, "quorum_tool_calls_total", 'tool="calculator",outcome="ok"')).toBe(1);
    expect(text).toMatch(/^quorum_llm_tokens_total\{model="fake-model",kind="prompt"\} \d+/m);
    expect(text).toContain("# TYPE quorum_projects_total gauge");
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  it("serves every metric the Grafana dashboard in deploy/ charts", async () => {
    const dashboard = readFileSync(new URL("../../deploy/grafana-dashboard.json", import.meta.url), "utf8");
    const charted = new Set(dashboard.match(/\b(?:quorum|process|nodejs)_[a-z0-9_]+/g));
    expect(charted.size).toBeGreaterThan(5);
    const { text } = await scrape(`Bearer ${METRICS_TOKEN}`);
    const served = new Set(
      [...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].flatMap(([, name, type]) =>
        type === "histogram" ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name!],
      ),
    );
    for (const name of charted) expect(served, name).toContain(name);
  });
});
