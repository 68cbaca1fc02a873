import { mkdirSync, writeFileSync } from "node:fs";
import { benchChat } from "./chat.js";
import { benchDiscord } from "./discord.js";
import { benchMetrics } from "./metrics.js";
import { benchProjects } from "./projects.js";
import { benchPromptTokens } from "./prompt-tokens.js";
import { benchRecall } from "./recall.js";
import { benchHybridRecall } from "./recall-hybrid.js";
import type { BenchResult } from "./result.js";
import { benchScale } from "./scale.js";
import { benchSlack } from "./slack.js";
import { benchStart } from "./start.js";
import { benchTools } from "./tools.js";
import { benchTracing } from "./tracing.js";

const suites: Record<string, () => Promise<BenchResult[]>> = {
  "chat-pglite": () => benchChat("pglite"),
  "chat-postgres": () => benchChat("postgres"),
  "prompt-tokens": () => benchPromptTokens(),
  recall: () => benchRecall(),
  "recall-hybrid": () => benchHybridRecall(),
  slack: () => benchSlack("pglite"),
  "slack-postgres": () => benchSlack("postgres"),
  projects: () => benchProjects(),
  tools: () => benchTools(),
  discord: () => benchDiscord("pglite"),
  "discord-postgres": () => benchDiscord("postgres"),
  start: () => benchStart(),
  scale: () => benchScale(),
  tracing: () => benchTracing(),
  metrics: () => benchMetrics(),
};

// `npm run bench -- chat-pglite recall` runs a subset.
const chosen = process.argv.slice(2).filter((name) => name in suites);
const results: BenchResult[] = [];
for (const name of chosen.length ? chosen : Object.keys(suites)) {
  console.error(`running ${name}…`);
  results.push(...(await suites[name]!()));
}

const rows = results.map((r) => [r.name, r.metric, r.value.toFixed(r.unit === "tokens" ? 0 : 2), r.unit, r.note ?? ""]);
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length), 6));
for (const row of rows) console.log(row.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell)).join("  "));

mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
const file = new URL(`./results/${new Date().toISOString().replace(/[:.]/g, "-")}.json`, import.meta.url);
writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2));
console.error(`wrote ${file.pathname}`);
process.exit(0);
