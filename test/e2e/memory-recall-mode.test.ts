import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeEmbeddings, startFakeEmbeddings } from "../fakes/embeddings.js";
import { startTestApp } from "../support/app.js";
import { scratchPostgresUrl } from "../support/databases.js";

/** Which recall runs, said by /api/health (with credentials) and /agent, with why. */
describe("recall mode", () => {
  let fake: FakeEmbeddings;
  beforeAll(async () => {
    fake = await startFakeEmbeddings();
  });
  afterAll(async () => {
    await fake?.stop();
  });

  async function modeOf(env: Record<string, string>): Promise<{ recall: string; agent: string; open: unknown }> {
    const t = await startTestApp(env);
    try {
      const health = await t.get("/api/health");
      const open = await fetch(`${t.app.url}/api/health`).then((response) => response.json());
      const agent = await t.post("/api/commands", { channel: "modes", user: "ada", command: "/agent", text: "" });
      return { recall: health.json.recall, agent: agent.json.text, open };
    } finally {
      await t.stop();
    }
  }

  it("is hybrid on PGlite with an embedding model", async () => {
    const { recall, agent, open } = await modeOf({ EMBEDDING_MODEL: "fake-embed", EMBEDDING_BASE_URL: fake.url });
    expect(recall).toBe("hybrid");
    expect(agent).toContain("• Recall: by meaning and words (memories are embedded with fake-embed)");
    // Without credentials, health says no more than its status.
    expect(open).not.toHaveProperty("recall");
  });

  it("is full-text without an embedding model", async () => {
    const { recall, agent } = await modeOf({});
    expect(recall).toBe("fulltext");
    expect(agent).toContain("• Recall: by words alone (EMBEDDING_MODEL is not set)");
  });

  it("is full-text on a Postgres without pgvector, and the app starts", async () => {
    const scratch = await scratchPostgresUrl();
    try {
      const { recall, agent } = await modeOf({ DATABASE_URL: scratch.url, EMBEDDING_MODEL: "fake-embed", EMBEDDING_BASE_URL: fake.url });
      expect(recall).toBe("fulltext");
      expect(agent).toMatch(/• Recall: by words alone \(the database has no vector extension/);
    } finally {
      await scratch.drop();
    }
  });
});
