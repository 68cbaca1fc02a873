import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import { createEmbedder } from "../../src/agents/llm/openai-embedder.js";
import { MemoryVectors } from "../../src/agents/memory/memory-vectors.js";
import { MemoryStore } from "../../src/agents/memory/store.js";
import type { Database } from "../../src/db/client.js";
import { type FakeEmbeddings, startFakeEmbeddings } from "../fakes/embeddings.js";
import { scratchPglite } from "../support/databases.js";
import { measureQuality, teachQualitySet } from "../support/recall-quality.js";

/**
 * Keyword and paraphrased questions, each in a channel of its own, against full-text and hybrid
 * recall (PGlite, the fake embedding model). The figures: bench/recall.ts reports the same set.
 */
describe("recall quality", () => {
  let fake: FakeEmbeddings;
  let database: Database;
  let vectors: MemoryVectors | undefined;
  beforeAll(async () => {
    fake = await startFakeEmbeddings();
    database = await scratchPglite();
  }, 60_000);
  afterAll(async () => {
    await vectors?.close();
    await database?.close();
    await fake?.stop();
  });

  it("finds paraphrased questions only with hybrid recall, and next to nothing for unrelated ones", async () => {
    const conversations = new ConversationStore(database.db);
    const words = new MemoryStore(database.db, { capacity: 1000 });
    const wordsChannel = (await conversations.ensureChannel("web", "quality-words", "words")).id;
    await teachQualitySet(words, wordsChannel);

    const recall = await MemoryVectors.open(
      database.db,
      createEmbedder({ model: "fake-embed", baseURL: fake.url, apiKey: "none" }),
      pino({ level: "silent" }),
    );
    vectors = recall.vectors;
    const hybrid = new MemoryStore(database.db, { capacity: 1000, recall });
    const hybridChannel = (await conversations.ensureChannel("web", "quality-hybrid", "hybrid")).id;
    await teachQualitySet(hybrid, hybridChannel, () => recall.vectors!.settled());

    const fulltext = await measureQuality(words, wordsChannel);
    const both = await measureQuality(hybrid, hybridChannel);
    expect(fulltext.keyword).toBe(1);
    expect(fulltext.paraphrase).toBeLessThanOrEqual(0.25);
    expect(both.keyword).toBe(1);
    expect(both.paraphrase).toBeGreaterThanOrEqual(0.85);
    // At most one stray word match among the unrelated questions; no nearest-vector noise.
    expect(both.unrelatedRecalled).toBeLessThanOrEqual(0.2);
  }, 60_000);
});
