import { describe, expect, it } from "vitest";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import { UsageStore } from "../../src/agents/usage/usage-store.js";
import { openDatabase } from "../../src/db/client.js";
import { scratchPostgres, scratchPostgresUrl } from "../support/databases.js";
import { usageStoreSuite } from "../support/usage-store-suite.js";

usageStoreSuite("postgres", scratchPostgres);

describe("CHANNEL_DAILY_TOKENS across processes on one Postgres", () => {
  it("admits exactly as many turns as fit when two processes' pools ask at once", async () => {
    const scratch = await scratchPostgresUrl();
    const [one, two] = await Promise.all([
      openDatabase({ kind: "postgres", url: scratch.url }),
      openDatabase({ kind: "postgres", url: scratch.url }),
    ]);
    try {
      const channel = (await new ConversationStore(one.db, one).ensureChannel("web", "shared", "shared")).id;
      // Each process writes as the app does, on its relaxed pool.
      const stores = [new UsageStore(one.relaxed), new UsageStore(two.relaxed)];
      for (let round = 0; round < 3; round++) {
        const budget = 1_000 * (round + 1);
        const asks = Array.from({ length: 40 }, (_, i) => stores[i % 2]!.reserve(channel, 100, budget));
        const admitted = (await Promise.all(asks)).filter(Boolean).length;
        // Each round's budget is a thousand more: ten more reservations of 100 fit.
        expect(admitted).toBe(10);
      }
    } finally {
      await Promise.all([one.close(), two.close()]);
      await scratch.drop();
    }
  });
});
