/**
 * Hybrid recall on PGlite (which ships pgvector) against the fake embedding model of the tests,
 * beside full-text recall on the same data and engine:
 *  - recall p50/p99 in a channel of N memories (default 100k; BENCH_HYBRID_SIZE), every memory
 *    embedded (BENCH_HYBRID_DIMENSION, default 256), HNSW built after the load;
 *  - the write path: remember() with and without embeddings (it never waits for them), and how
 *    long until a stored memory has its vector;
 *  - recall quality: keyword and paraphrased questions (test/support/recall-quality.ts).
 *
 *   npm run bench -- recall-hybrid
 */
import { performance } from "node:perf_hooks";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { ConversationStore } from "../src/agents/conversation/conversation-store.js";
import { createEmbedder } from "../src/agents/llm/openai-embedder.js";
import { MemoryVectors } from "../src/agents/memory/memory-vectors.js";
import { MemoryStore } from "../src/agents/memory/store.js";
import { VECTOR_TABLE, vectorText } from "../src/agents/memory/vector-table.js";
import type { Db } from "../src/db/client.js";
import { rowsOf } from "../src/db/rows.js";
import { fakeEmbedding, startFakeEmbeddings } from "../test/fakes/embeddings.js";
import { scratchPglite } from "../test/support/databases.js";
import { measureQuality, teachQualitySet } from "../test/support/recall-quality.js";
import { benchQuestions } from "./recall.js";
import { type BenchResult, percentile } from "./result.js";

const QUESTIONS = 200;
const WARMUP = 20;
const WRITES = 200;
const CHUNK = 1000;

export async function benchHybridRecall(): Promise<BenchResult[]> {
  const size = Number(process.env.BENCH_HYBRID_SIZE ?? 100_000);
  const dimension = Number(process.env.BENCH_HYBRID_DIMENSION ?? 256);
  const fake = await startFakeEmbeddings();
  const database = await scratchPglite();
  const results: BenchResult[] = [];
  const log = pino({ level: "silent" });
  try {
    const { db } = database;
    const conversations = new ConversationStore(db);
    const embedder = createEmbedder({ model: "fake-embed", baseURL: fake.url, apiKey: "none" });

    // Quality first, on a small channel each.
    const words = new MemoryStore(db, { capacity: 50_000 });
    const wordsChannel = (await conversations.ensureChannel("web", "quality-words", "words")).id;
    await teachQualitySet(words, wordsChannel);
    const recall = await MemoryVectors.open(db, embedder, log);
    const vectors = recall.vectors as MemoryVectors;
    const hybrid = new MemoryStore(db, { capacity: 50_000, recall });
    const hybridChannel = (await conversations.ensureChannel("web", "quality-hybrid", "hybrid")).id;
    await teachQualitySet(hybrid, hybridChannel, () => vectors.settled());
    for (const [mode, store, channel] of [
      ["fulltext", words, wordsChannel],
      ["hybrid", hybrid, hybridChannel],
    ] as const) {
      const q = await measureQuality(store, channel);
      const note = "20 facts, 20 distractors, recall of 5, fake embedding model";
      results.push({ name: `memory.quality.${mode}`, metric: "keyword", value: q.keyword * 100, unit: "%", note });
      results.push({ name: `memory.quality.${mode}`, metric: "paraphrase", value: q.paraphrase * 100, unit: "%", note });
      results.push({
        name: `memory.quality.${mode}`,
        metric: "unrelated",
        value: q.unrelatedRecalled,
        unit: "memories",
        note: "recalled per unrelated question",
      });
    }

    // The write path: what remember() costs a turn, with and without embeddings queued.
    const writeChannel = (await conversations.ensureChannel("web", "writes", "writes")).id;
    for (const [mode, store] of [
      ["fulltext", words],
      ["hybrid", hybrid],
    ] as const) {
      const times: number[] = [];
      for (let i = 0; i < WRITES; i++) {
        const started = performance.now();
        await store.remember({
          channelId: writeChannel,
          kind: "semantic",
          content: `${mode} write ${i}: the deploy of service ${i % 17} moved`,
        });
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      results.push({
        name: `memory.write.${mode}`,
        metric: "p50",
        value: percentile(times, 50),
        unit: "ms",
        note: `${WRITES} remembers, PGlite`,
      });
      results.push({ name: `memory.write.${mode}`, metric: "p99", value: percentile(times, 99), unit: "ms" });
    }
    const embedStarted = performance.now();
    await vectors.settled();
    results.push({
      name: "memory.write.hybrid",
      metric: "embedded",
      value: performance.now() - embedStarted,
      unit: "ms",
      note: `after the last remember, until all ${WRITES} had vectors (batched)`,
    });

    // Scale: one channel of `size` memories, all embedded.
    const channel = (await conversations.ensureChannel("web", "scale", "scale")).id;
    const loadStarted = performance.now();
    await load(db, channel, size, dimension);
    const hnswStarted = performance.now();
    await db.execute(
      sql.raw(`create index if not exists ${VECTOR_TABLE}_hnsw on ${VECTOR_TABLE} using hnsw (embedding vector_cosine_ops)`),
    );
    results.push({
      name: "memory.load.hybrid",
      metric: "seconds",
      value: (performance.now() - loadStarted) / 1000,
      unit: "s",
      note: `${size} memories of ${dimension} dimensions; HNSW build ${Math.round((performance.now() - hnswStarted) / 1000)} s`,
    });
    await db.execute(sql`analyze`);
    const scaled = await MemoryVectors.open(
      db,
      { ...embedder, embed: (texts) => Promise.resolve(texts.map((t) => fakeEmbedding(t, dimension))) },
      log,
    );
    const hybridScale = new MemoryStore(db, { capacity: size * 2, recall: scaled });
    const wordsScale = new MemoryStore(db, { capacity: size * 2 });
    const questions = benchQuestions(QUESTIONS, 7);
    for (const [mode, store] of [
      ["fulltext", wordsScale],
      ["hybrid", hybridScale],
    ] as const) {
      const times: number[] = [];
      let found = 0;
      for (let i = 0; i < WARMUP + questions.length; i++) {
        const question = questions[i % questions.length] as string;
        const started = performance.now();
        const recalled = await store.recall({ channelId: channel, query: `${question} ${i}`, limit: 5 });
        if (i >= WARMUP) {
          times.push(performance.now() - started);
          if (recalled.length) found++;
        }
      }
      times.sort((a, b) => a - b);
      const note = `${questions.length} questions, ${found} with hits, PGlite${mode === "hybrid" ? ", query embedding in-process" : ""}`;
      results.push({ name: `memory.recall.pglite.${mode}.${size}`, metric: "p50", value: percentile(times, 50), unit: "ms", note });
      results.push({ name: `memory.recall.pglite.${mode}.${size}`, metric: "p99", value: percentile(times, 99), unit: "ms", note });
    }
    await scaled.vectors?.close();
    await vectors.close();
  } finally {
    await database.close();
    await fake.stop();
  }
  return results.map((r) => ({ ...r, value: Math.round(r.value * 100) / 100 }));
}

/** `size` memories in `channel` from the bench's vocabulary, and their vectors, without the HNSW index (built after). */
async function load(db: Db, channel: string, size: number, dimension: number): Promise<void> {
  await db.execute(sql.raw(`drop table if exists ${VECTOR_TABLE}`));
  await db.execute(
    sql.raw(`create table ${VECTOR_TABLE} (memory_id bigint primary key references memories(id) on delete cascade,
      channel_id text not null, model text not null, embedding vector(${dimension}) not null)`),
  );
  await db.execute(sql.raw(`create index ${VECTOR_TABLE}_channel on ${VECTOR_TABLE} (channel_id, model)`));
  const contents = benchQuestions(size, 1).map((text, i) => `${text.replace(/\?$/, "")} (note ${i})`);
  for (let from = 0; from < size; from += CHUNK) {
    const slice = contents.slice(from, from + CHUNK);
    const values = sql.join(
      slice.map((content) => sql`(${channel}, 'semantic', ${content})`),
      sql`, `,
    );
    const ids = rowsOf<{ id: number; content: string }>(
      await db.execute(sql`insert into memories (channel_id, kind, content) values ${values} returning id, content`),
    );
    const embedded = sql.join(
      ids.map((row) => sql`(${row.id}::bigint, ${channel}, 'fake-embed', ${vectorText(fakeEmbedding(row.content, dimension))}::vector)`),
      sql`, `,
    );
    await db.execute(sql`insert into ${sql.raw(VECTOR_TABLE)} (memory_id, channel_id, model, embedding) values ${embedded}`);
  }
}
