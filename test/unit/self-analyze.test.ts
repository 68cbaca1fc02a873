import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/agents/memory/store.js";
import type { Database } from "../../src/db/client.js";
import { rowsOf } from "../../src/db/rows.js";
import { scratchPglite } from "../support/databases.js";
import { waitFor } from "../support/wait.js";

describe("memories analyzed on PGlite, which runs no autovacuum", () => {
  let database: Database;
  beforeAll(async () => {
    database = await scratchPglite();
    await database.db.execute(sql`insert into channels (id, platform, external_id, name) values ('web:busy', 'web', 'busy', 'busy')`);
  });
  afterAll(() => database.close());

  /** The planner's idea of the table's size: -1 until it is first analyzed. */
  const plannedRows = async () =>
    Number(
      rowsOf<{ n: number }>(await database.db.execute(sql`select reltuples::float8 as n from pg_class where relname = 'memories'`))[0]!.n,
    );

  it("analyzes the table once enough memories were written, as autovacuum would", async () => {
    const memory = new MemoryStore(database.db, { capacity: 1_000, selfAnalyze: true });
    for (let i = 0; i < 49; i++) await memory.remember({ channelId: "web:busy", kind: "episodic", content: `turn ${i}` });
    expect(await plannedRows()).toBe(-1);
    await memory.remember({ channelId: "web:busy", kind: "episodic", content: "turn 49" });
    await waitFor(async () => (await plannedRows()) === 50);
  });
});
