import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import { createEmbedder } from "../../src/agents/llm/openai-embedder.js";
import { MemoryVectors } from "../../src/agents/memory/memory-vectors.js";
import { MemoryStore } from "../../src/agents/memory/store.js";
import type { Database } from "../../src/db/client.js";
import { rowsOf } from "../../src/db/rows.js";
import { type FakeEmbeddings, startFakeEmbeddings } from "../fakes/embeddings.js";
import { scratchPglite } from "../support/databases.js";

const KEY = "sk-embed-test-0123456789";

/** Hybrid recall on PGlite (which ships pgvector) against the fake embedding model on loopback. */
describe("hybrid recall", () => {
  let fake: FakeEmbeddings;
  let database: Database;
  let conversations: ConversationStore;
  let logs: string[];
  let opened: MemoryVectors[];
  let channel: string;
  let other: string;
  let n = 0;

  beforeAll(async () => {
    fake = await startFakeEmbeddings();
    database = await scratchPglite();
    conversations = new ConversationStore(database.db);
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await fake?.stop();
  });
  beforeEach(async () => {
    n += 1;
    fake.mode = "ok";
    fake.onRequest = undefined;
    logs = [];
    opened = [];
    channel = (await conversations.ensureChannel("web", `hybrid-${n}`, "hybrid")).id;
    other = (await conversations.ensureChannel("web", `elsewhere-${n}`, "elsewhere")).id;
  });
  afterEach(async () => {
    for (const vectors of opened) await vectors.close();
  });

  /** A store with embeddings from the fake, as `model`; its vectors, to wait on. */
  async function open(model = "fake-embed", db = database.db): Promise<{ store: MemoryStore; vectors: MemoryVectors }> {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    const embedder = createEmbedder({ model, baseURL: fake.url, apiKey: KEY });
    const recall = await MemoryVectors.open(db, embedder, pino(sink));
    expect(recall.mode).toEqual({ mode: "hybrid", reason: `memories are embedded with ${model}` });
    const vectors = recall.vectors as MemoryVectors;
    opened.push(vectors);
    await vectors.settled();
    return { store: new MemoryStore(db, { capacity: 1000, recall }), vectors };
  }

  const embeddedRows = async (ids: number[], db = database.db) =>
    rowsOf<{ memory_id: string | number; model: string }>(
      await db.execute(
        sql`select memory_id, model from memory_embeddings where memory_id in (${sql.join(
          ids.map((id) => sql`${id}::bigint`),
          sql`, `,
        )}) order by memory_id`,
      ),
    ).map((row) => ({ id: Number(row.memory_id), model: row.model }));

  it("finds by meaning what words alone miss, in its channel only", async () => {
    const { store, vectors } = await open();
    const fact = await store.remember({ channelId: channel, kind: "semantic", content: "Dana owns the payments service" });
    await store.remember({ channelId: channel, kind: "semantic", content: "Lunch is at noon on Fridays" });
    await store.remember({ channelId: other, kind: "semantic", content: "Dana owns the payments service in the other channel" });
    await vectors.settled();

    const words = new MemoryStore(database.db, { capacity: 1000 });
    expect(words.recallMode.mode).toBe("fulltext");
    expect(await words.recall({ channelId: channel, query: "Who looks after billing?" })).toEqual([]);
    expect((await store.recall({ channelId: channel, query: "Who looks after billing?" })).map((m) => m.id)).toEqual([fact.id]);
    // Words still find it too, and only in its channel.
    expect((await store.recall({ channelId: channel, query: "payments service" })).map((m) => m.id)).toEqual([fact.id]);
  });

  it("recalls nothing when nothing is relevant, though the nearest vectors are always some", async () => {
    const { store, vectors } = await open();
    await store.remember({ channelId: channel, kind: "semantic", content: "The cat sleeps on the desk" });
    await store.remember({ channelId: channel, kind: "semantic", content: "Standups happen every morning" });
    await vectors.settled();
    expect(await store.recall({ channelId: channel, query: "What is the capital of Portugal?" })).toEqual([]);
  });

  it("folds a reworded duplicate into the memory it repeats", async () => {
    const { store, vectors } = await open();
    const first = await store.remember({
      channelId: channel,
      kind: "semantic",
      content: "Dana owns the payments service",
      importance: 0.5,
    });
    await vectors.settled();
    const twin = await store.remember({
      channelId: channel,
      kind: "semantic",
      content: "The payments service: Dana owns it",
      importance: 0.5,
    });
    expect(twin.id).not.toBe(first.id);
    await vectors.settled();

    const left = await store.list(channel);
    expect(left.map((m) => [m.id, m.content])).toEqual([[first.id, "The payments service: Dana owns it"]]);
    expect(left[0]!.importance).toBeCloseTo(0.55);
    // Another kind is another memory.
    await store.remember({ channelId: channel, kind: "procedural", content: "Dana owns the payments service" });
    await vectors.settled();
    expect(await store.count(channel)).toBe(2);
  });

  for (const [name, mode, cause] of [
    ["answers 503", { status: 503 }, /HTTP 503/],
    ["answers 401", { status: 401 }, /HTTP 401; check EMBEDDING_API_KEY/],
    ["sends garbage", "garbage", /not a list of vectors/],
    ["changes the dimension", { dimension: 8 }, /8 dimensions/],
  ] as const) {
    it(`keeps memories and recalls by words when the embedding server ${name}, logs it once, and catches up later`, async () => {
      const { store, vectors } = await open();
      await store.remember({ channelId: channel, kind: "semantic", content: "Dana owns the payments service" });
      await vectors.settled();
      fake.mode = mode;
      const kept = await store.remember({ channelId: channel, kind: "semantic", content: "Releases ship on Thursdays" });
      const more = await store.remember({ channelId: channel, kind: "semantic", content: "The deploy checklist lives in the wiki" });
      await vectors.settled();
      expect(await embeddedRows([kept.id, more.id])).toEqual([]);

      expect((await store.recall({ channelId: channel, query: "when do releases ship?" })).map((m) => m.id)).toEqual([kept.id]);
      expect((await store.recall({ channelId: channel, query: "deploy checklist" })).map((m) => m.id)).toEqual([more.id]);
      const failures = logs.filter((line) => line.includes("embedding memories failed"));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(cause);
      expect(logs.join("\n")).not.toContain(KEY);

      fake.mode = "ok";
      vectors.backfill();
      await vectors.settled();
      expect(await embeddedRows([kept.id, more.id])).toEqual([
        { id: kept.id, model: "fake-embed" },
        { id: more.id, model: "fake-embed" },
      ]);
      expect(logs.some((line) => line.includes("embedding memories works again"))).toBe(true);
    });
  }

  it("recalls by words when the question's vector times out", async () => {
    const { store, vectors } = await open();
    const fact = await store.remember({ channelId: channel, kind: "semantic", content: "Releases ship on Thursdays" });
    await vectors.settled();
    fake.mode = "timeout";
    expect((await store.recall({ channelId: channel, query: "when do releases ship?" })).map((m) => m.id)).toEqual([fact.id]);
    expect(logs.filter((line) => line.includes("did not answer within"))).toHaveLength(1);
    // Meanwhile turns do not wait for it again.
    const asked = fake.requests.length;
    expect((await store.recall({ channelId: channel, query: "releases on thursday" })).map((m) => m.id)).toEqual([fact.id]);
    expect(fake.requests.length).toBe(asked);
  });

  it("embeds what predates it, resumes after a restart midway, and re-embeds for a new model without twins", async () => {
    // A database of its own: the backfill embeds every memory in it, not one channel's.
    const own = await scratchPglite();
    try {
      const { db } = own;
      const ownChannel = (await new ConversationStore(db).ensureChannel("web", "backfill", "backfill")).id;
      const words = new MemoryStore(db, { capacity: 1000 });
      const ids: number[] = [];
      for (let i = 0; i < 150; i++)
        ids.push((await words.remember({ channelId: ownChannel, kind: "semantic", content: `Fact number ${i} about topic${i}` })).id);

      // The first start embeds one batch, then its server hangs and the process stops.
      fake.onRequest = (request) => {
        if (request >= 2) fake.mode = "timeout";
      };
      fake.requests.length = 0;
      const embedder = createEmbedder({ model: "fake-embed-v2", baseURL: fake.url, apiKey: KEY });
      const first = await MemoryVectors.open(db, embedder, pino({ level: "silent" }));
      await expect.poll(() => fake.requests.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
      await first.vectors?.close();
      const done = await embeddedRows(ids, db);
      expect(done.length).toBe(64);

      // The next start embeds only the rest.
      fake.mode = "ok";
      fake.onRequest = undefined;
      fake.requests.length = 0;
      await open("fake-embed-v2", db);
      expect(fake.requests.flatMap((request) => request.input)).toHaveLength(ids.length - done.length);
      expect(await embeddedRows(ids, db)).toHaveLength(ids.length);

      // Another model: every memory again, none lost or doubled.
      const { store } = await open("fake-embed-v3", db);
      expect((await embeddedRows(ids, db)).map((row) => row.model)).toEqual(ids.map(() => "fake-embed-v3"));
      expect(await store.count(ownChannel)).toBe(ids.length);
      expect((await store.recall({ channelId: ownChannel, query: "topic42" })).map((m) => m.content)).toEqual([
        "Fact number 42 about topic42",
      ]);
    } finally {
      await own.close();
    }
  }, 60_000);
});
