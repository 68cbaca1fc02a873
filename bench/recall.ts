/**
 * Recall latency of the memory store on Postgres at realistic scale: 1,000,000 memories in one
 * table, one channel holding 10k of them and another 100k, the rest spread over ~900 channels.
 * Measures p50/p99 of MemoryStore.recall over ~300 varied questions per channel size.
 *
 *   npx tsx bench/recall.ts [--total 1000000] [--sizes 10000,100000]
 *
 * Needs the local Postgres (TEST_DATABASE_URL, as the tests); creates and drops a scratch database.
 */
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { recallRankingQuery } from "../src/agents/memory/recall-query.js";
import { MemoryStore } from "../src/agents/memory/store.js";
import type { Db } from "../src/db/client.js";
import { scratchPostgres } from "../test/support/databases.js";
import { type BenchResult, percentile } from "./result.js";

const GOAL_P99_MS = 20;
const QUERIES = 300;
const WARMUP = 30;

// --- vocabulary shared by the generated memories and the questions --------------------------------

// Each slot lists its words separated by ", ".
const V = slots({
  person:
    "alice, bob, carol, dave, erin, frank, grace, heidi, ivan, judy, mallory, nina, oscar, peggy, quentin, rupert, sybil, trent, uma, victor, wendy, xavier, yasmin, zack, amir, beatriz, chen, dmitri, elena, farah, gustavo, hiroshi, ingrid, jamal, kofi, lucia, mateo, noor, olga, priya, rahul, sofia, tomas, ursula, wei, yusuf, zoe, hannah, leo, maya",
  project:
    "atlas, bluefin, cobalt, dynamo, ember, falcon, granite, harbor, ironwood, jasper, kestrel, lumen, meridian, nimbus, onyx, pioneer, quasar, redwood, sapphire, tundra, umbra, vortex, willow, xenon, yukon, zephyr, aurora, basalt, cascade, delta, equinox, fjord, glacier, helios, indigo, juniper, krypton, lagoon, monsoon, nebula, obsidian, polaris, quartz, raven, sequoia, tempest, ultramarine, vesper, wildfire, zenith, acorn, beacon, citadel, driftwood, eclipse, foxglove, gemini, horizon, icicle, jetstream",
  component:
    "gateway, billing, scheduler, ingestion, indexer, frontend, backend, database, cache, queue, webhook, authentication, search, notifications, payments, analytics, exporter, importer, crawler, renderer, compiler, uploader, thumbnailer, ledger, invoicing, checkout, inventory, recommendations, mailer, sms, reporting, audit, permissions, sessions, monitoring, alerting, logging, tracing, autoscaler, loadbalancer, cdn, dns, firewall, vpn, registry, pipeline, installer, updater, sync, backup",
  action:
    "deploy, restart, rollback, migrate, upgrade, rotate, scale, archive, benchmark, profile, refactor, document, test, monitor, patch, rebuild, reindex, provision, decommission, debug, audit, freeze, unfreeze, throttle, shard",
  past: "failed, crashed, stalled, recovered, shipped, regressed, improved, degraded, passed, broke, timed out, leaked memory, spiked, stabilized, doubled",
  event:
    "outage, launch, migration, retro, standup, demo, audit, freeze, hackathon, offsite, incident, rollout, upgrade, review, planning, kickoff, postmortem, release, interview, training",
  env: "production, staging, canary, sandbox, development, preview, europe, asia, onprem",
  tool: "kubectl, terraform, helm, ansible, make, docker, npm, cargo, psql, redis-cli, gradle, bazel, pytest, jenkins, argocd",
  flag: "force, dry-run, verbose, parallel, no-cache, strict, quiet, debug, rebuild, retry",
  adjective:
    "slow, flaky, intermittent, severe, minor, critical, confusing, detailed, concise, verbose, stale, broken, outdated, surprising, expensive, cheap, noisy, silent",
  topic:
    "latency, throughput, pricing, onboarding, documentation, security, compliance, hiring, accessibility, localization, caching, observability, budget, roadmap, reliability, privacy, performance, testing, licensing, accessibility, retention, churn",
  doc: "design doc, spec, changelog, wiki page, readme, postmortem, proposal, runbook, contract, slide deck",
  metric: "latency, error rate, memory usage, cpu load, disk usage, queue depth, conversion, signups, cost, uptime",
  trend: "rising, falling, spiking, flat, recovering, unstable",
  customer:
    "acme, globex, initech, umbrella, hooli, stark, wayne, wonka, tyrell, cyberdyne, soylent, massive, vandelay, pied piper, dunder mifflin, oceanic, monarch, gringotts, prestige, virtucon",
  weekday: "monday, tuesday, wednesday, thursday, friday",
  attribute:
    "release codename, staging url, on-call rotation, budget owner, deadline, launch date, primary contact, slack channel, repository, license, database password policy, sla, escalation path, feature flag, api version",
  value:
    "bluefin, next thursday, the platform team, march, version three, apache, ninety nine percent, weekly, the ops channel, github, the q3 plan, two weeks, off by default, beta",
});
type Slot = keyof typeof V;

function slots<K extends string>(lists: Record<K, string>): Record<K, string[]> {
  return Object.fromEntries(Object.entries<string>(lists).map(([slot, words]) => [slot, words.split(", ")])) as Record<K, string[]>;
}

/** Contents: realistic team-chat facts, procedures and events, 8 to 20 words. */
const TEMPLATES: string[] = [
  "{person} said the {project} {component} {past} after the {event}",
  "Our {attribute} for {project} is {value}",
  "To {action} the {component} in {env}, run {tool} with the {flag} flag",
  "The team decided to {action} the {component} before the {event} on {weekday}",
  "{person} prefers {adjective} {topic} notes in the {doc}",
  "Customer {customer} reported {adjective} {metric} in the {component} during the {event}",
  "{person} is on vacation until {weekday}; {person} covers the {component} on-call",
  "The {component} dashboard shows {metric} {trend} since the {project} {event}",
  "{person} owns the {component} {doc} and the {project} {topic} review",
  "Meeting notes: discussed {topic}, the {project} roadmap and {metric} for {customer}",
  "Never {action} {component} in {env} on {weekday} without telling {person}",
  "{project} {event} moved to {weekday} because the {component} {past}",
];

const QUESTIONS: string[] = [
  "what is our {attribute} for {project}?",
  "what is the {attribute}?",
  "how do we {action} the {component} in {env}?",
  "who owns the {component} {doc}?",
  "what did {person} say about {project}?",
  "when is {person} back from vacation?",
  "any {customer} complaints about {metric}?",
  "why did the {component} fail during the {event}?",
  "what happened to {metric} after the {project} {event}",
  "who covers {component} on-call this week",
  "what did we decide about the {component} before the {event}?",
  "which {tool} flags do we use for the {component}",
  "{project} {component} {metric} {trend}",
  "remind me what {person} prefers for {topic} documentation",
  "is it ok to {action} {component} in {env} on {weekday}?",
  "summary of the {topic} discussion with {customer}",
];

/** Small deterministic PRNG (mulberry32) so every run asks the same questions. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fill(template: string, random: () => number): string {
  return template.replace(/\{(\w+)\}/g, (_, slot: string) => {
    const words = V[slot as Slot];
    // Skewed like real vocabularies (and like the generated data): early words are common.
    return words[Math.floor(random() ** 2 * words.length)] as string;
  });
}

export function benchQuestions(count: number, seed = 42): string[] {
  const random = prng(seed);
  return Array.from({ length: count }, (_, i) => fill(QUESTIONS[i % QUESTIONS.length] as string, random));
}

// --- bulk data ------------------------------------------------------------------------------------

/** A SQL string literal of our own constant vocabulary (checked: no user text reaches here). */
function literal(text: string): string {
  if (!/^[a-z0-9 ,.;:'?-]*$/i.test(text) || text.includes("'")) throw new Error(`unexpected vocabulary: ${text}`);
  return `'${text}'`;
}

/** SQL text expression producing one filled template per row; `h` is a per-row random int. */
function contentSql(): string {
  const pick = (slot: Slot) => {
    const words = V[slot];
    return `(array[${words.map(literal).join(",")}])[1 + floor(power(random(), 2) * ${words.length})::int]`;
  };
  const branches = TEMPLATES.map((template, i) => {
    const parts = template.split(/(\{\w+\})/).filter((part) => part !== "");
    const pieces = parts.map((part) => {
      const slot = /^\{(\w+)\}$/.exec(part)?.[1];
      return slot ? pick(slot as Slot) : literal(part);
    });
    return `when ${i} then ${pieces.join(" || ")}`;
  });
  // A ticket number in a fifth of the rows gives rare, exact tokens as real chat has.
  return `(case ((h >> 8) % ${TEMPLATES.length}) ${branches.join(" ")} end) || case when (h >> 16) % 5 = 0 then ' (ticket OPS-' || (h % 50000) || ')' else '' end`;
}

export interface Layout {
  sizes: number[];
  total: number;
  otherChannels: number;
  threadsPerChannel: number;
}

const channelName = (size: number) => `bench-${size}`;

export async function loadBenchData(db: Db, layout: Layout): Promise<void> {
  const { sizes, total, otherChannels, threadsPerChannel } = layout;
  const names = [...sizes.map(channelName), ...Array.from({ length: otherChannels }, (_, i) => `other-${i}`)];
  await db.execute(sql`
    insert into channels (id, platform, external_id, name)
    select n, 'bench', n, n from unnest(${sql.raw(`array[${names.map(literal).join(",")}]`)}::text[]) as n`);
  await db.execute(sql`
    insert into conversations (id, channel_id, external_thread_id)
    select c.id || '-t' || t, c.id, 't' || t from channels c, generate_series(0, ${threadsPerChannel - 1}) t`);

  // Channel of row i: a stride permutation p of 0..total-1 interleaves the channels over the
  // table as concurrent chat would; the first `big` positions go to the measured channels.
  // A golden-ratio stride spreads each channel evenly (a stride near a multiple of total would not).
  let stride = Math.round(total * 0.6180339887) | 1;
  while (gcd(stride, total) !== 1) stride += 2;
  let bounds = "";
  let upTo = 0;
  for (const size of sizes) {
    upTo += size;
    bounds += ` when p < ${upTo} then ${literal(channelName(size))}`;
  }
  const channelSql = `case${bounds} else 'other-' || (p % ${otherChannels}) end`;

  // Indexes are built after the load: much faster than maintaining them row by row.
  const indexes = (await db.execute(sql`
    select indexname as name, indexdef as def from pg_indexes
    where tablename = 'memories' and indexname <> 'memories_pkey'`)) as unknown as { name: string; def: string }[];
  for (const index of indexes) await db.execute(sql.raw(`drop index ${index.name}`));

  // Two sessions in parallel (two cores); each loads every other chunk.
  const chunk = 125_000;
  const ranges: [number, number][] = [];
  for (let start = 0; start < total; start += chunk) ranges.push([start, Math.min(total, start + chunk) - 1]);
  const insertRange = ([from, to]: [number, number]) =>
    db.execute(
      sql.raw(`
      insert into memories (channel_id, conversation_id, kind, content, importance, access_count, created_at, last_accessed_at)
      select channel, case when kind = 'working' then channel || '-t' || ((h >> 20) % ${threadsPerChannel}) end,
             kind, content, importance, access_count, created_at, created_at + (now() - created_at) * power(random(), 3)
      from (
        select g, p, h, ${channelSql} as channel,
               case when h % 100 < 8 then 'working' when h % 100 < 50 then 'episodic'
                    when h % 100 < 85 then 'semantic' else 'procedural' end as kind,
               round((0.2 + 0.8 * random())::numeric, 2)::real as importance,
               floor(power(random(), 4) * 30)::int as access_count,
               now() - interval '365 days' * power(random(), 2) as created_at
        from (select g, (g::bigint * ${stride}) % ${total} as p, (hashint4(g) & 2147483647) as h
              from generate_series(${from}, ${to}) g) s
      ) r, lateral (select ${contentSql()} as content) c`),
    );
  const lanes = [0, 1].map(async (lane) => {
    for (let i = lane; i < ranges.length; i += 2) await insertRange(ranges[i] as [number, number]);
  });
  await Promise.all(lanes);
  // remember() dedupes, so a real table holds no duplicates (memories_dedupe refuses them):
  // the few generated twins get a note number to tell them apart.
  await db.execute(sql`
    update memories m set content = m.content || ' (note ' || m.id || ')'
    from (select id, row_number() over (
            partition by channel_id, kind, coalesce(conversation_id, ''), content order by id) as twin
          from memories) d
    where d.id = m.id and d.twin > 1`);

  // Recreate what the migrations defined, one index per session in parallel.
  const pending = [...indexes];
  await Promise.all(
    [0, 1].map(async () => {
      for (let index = pending.shift(); index; index = pending.shift()) {
        const def = index.def;
        await db.transaction(async (tx) => {
          await tx.execute(sql`set local maintenance_work_mem = '256MB'`);
          await tx.execute(sql.raw(def));
        });
      }
    }),
  );
  await db.execute(sql`vacuum analyze memories`);
  await db.execute(sql`analyze channels`);
  await db.execute(sql`analyze conversations`);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

// --- measurement ------------------------------------------------------------------------------

async function explainSummary(db: Db, channelId: string, question: string, capacity: number): Promise<string> {
  const query = recallRankingQuery(db, { channelId, query: question, limit: 5 }, capacity);
  if (!query) return "(no searchable words)";
  const rows = (await db.execute(sql`explain (analyze, buffers, costs off, timing on) ${query}`)) as unknown as Record<string, string>[];
  return rows.map((row) => Object.values(row)[0]).join("\n");
}

async function measure(store: MemoryStore, channelId: string, threads: number, questions: string[]) {
  const times: number[] = [];
  let found = 0;
  for (let i = 0; i < WARMUP + questions.length; i++) {
    const question = questions[i % questions.length] as string;
    // Every third question comes from a thread, so its working memory takes part.
    const conversationId = i % 3 === 0 ? `${channelId}-t${i % threads}` : undefined;
    const started = performance.now();
    const records = await store.recall({ channelId, query: question, conversationId, limit: 5 });
    const elapsed = performance.now() - started;
    if (i >= WARMUP) {
      times.push(elapsed);
      if (records.length > 0) found++;
    }
  }
  times.sort((a, b) => a - b);
  return { times, found };
}

export async function benchRecall(options: { sizes?: number[]; total?: number } = {}): Promise<BenchResult[]> {
  const sizes = options.sizes ?? [10_000, 100_000];
  const total = options.total ?? 1_000_000;
  const rest = total - sizes.reduce((a, b) => a + b, 0);
  if (rest < 0) throw new Error(`total ${total} is smaller than the sizes ${sizes.join("+")}`);
  const layout: Layout = {
    sizes,
    total,
    otherChannels: Math.max(1, Math.round(rest / 1000)),
    threadsPerChannel: 20,
  };

  const database = await scratchPostgres();
  const results: BenchResult[] = [];
  try {
    const { db } = database;
    const loadStarted = performance.now();
    await loadBenchData(db, layout);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    results.push({
      name: "memory.load",
      metric: "seconds",
      value: round(loadSeconds, 1),
      unit: "s",
      note: `${total} rows, ${layout.otherChannels + sizes.length} channels, indexes built after`,
    });

    const capacity = Math.max(...sizes) * 2;
    const store = new MemoryStore(db, { capacity });
    const questions = benchQuestions(QUERIES);
    for (const size of sizes) {
      const channelId = channelName(size);
      const { times, found } = await measure(store, channelId, layout.threadsPerChannel, questions);
      const p50 = percentile(times, 50);
      const p99 = percentile(times, 99);
      const note = `${times.length} queries, ${found} with hits, max ${round(times[times.length - 1] ?? 0, 2)} ms`;
      results.push({ name: `memory.recall.${size}`, metric: "p50", value: round(p50, 2), unit: "ms", note });
      results.push({
        name: `memory.recall.${size}`,
        metric: "p99",
        value: round(p99, 2),
        unit: "ms",
        note: `${note}; goal < ${GOAL_P99_MS} ms${p99 < GOAL_P99_MS ? "" : " MISSED"}`,
      });
    }
    if (process.env.BENCH_EXPLAIN !== "0") {
      const size = Math.max(...sizes);
      console.error(
        `EXPLAIN ANALYZE at ${size}, "${questions[0]}":\n${await explainSummary(db, channelName(size), questions[0] as string, capacity)}`,
      );
    }
  } finally {
    await database.close();
  }
  return results;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function formatTable(results: BenchResult[]): string {
  const rows = results.map((r) => [r.name, r.metric, `${r.value} ${r.unit}`, r.note ?? ""]);
  const header = ["benchmark", "metric", "value", "note"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = argument("sizes")?.split(",").map(Number);
  const total = argument("total") ? Number(argument("total")) : undefined;
  const started = performance.now();
  benchRecall({ sizes, total })
    .then((results) => {
      console.log(formatTable(results));
      console.log(`(${round((performance.now() - started) / 1000, 1)} s in all)`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
