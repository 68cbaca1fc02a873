import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChannelSizes } from "../../src/agents/memory/channel-sizes.js";
import { RECALL_POOL } from "../../src/agents/memory/scoring.js";
import type { Database } from "../../src/db/client.js";
import { scratchPglite } from "../support/databases.js";
import { waitFor } from "../support/wait.js";

describe("ChannelSizes", () => {
  let database: Database;
  beforeAll(async () => {
    database = await scratchPglite();
    const { db } = database;
    await db.execute(
      sql`insert into channels (id, platform, external_id, name) values ('small', 'web', 'small', 'small'), ('large', 'web', 'large', 'large')`,
    );
    await db.execute(sql`insert into memories (channel_id, kind, content)
      select 'large', 'semantic', 'fact ' || n from generate_series(1, ${RECALL_POOL.EXACT_UP_TO + 1}) as n`);
    await db.execute(sql`insert into memories (channel_id, kind, content)
      select 'small', 'semantic', 'fact ' || n from generate_series(1, ${RECALL_POOL.EXACT_UP_TO}) as n`);
  });
  afterAll(() => database.close());

  it("counts a channel as large until its size is known, then by its live memories", async () => {
    const sizes = new ChannelSizes(database.db);
    expect(sizes.mayBeLarge("small")).toBe(true);
    expect(sizes.mayBeLarge("large")).toBe(true);
    await waitFor(() => sizes.mayBeLarge("small") === false);
    expect(sizes.mayBeLarge("large")).toBe(true);
    expect(sizes.mayBeLarge("nowhere")).toBe(true);
    await waitFor(() => sizes.mayBeLarge("nowhere") === false);
  });

  it("does not count forgotten memories", async () => {
    await database.db.execute(
      sql`update memories set forgotten_at = now() where channel_id = 'large' and id = (select min(id) from memories where channel_id = 'large')`,
    );
    const sizes = new ChannelSizes(database.db);
    sizes.mayBeLarge("large");
    await waitFor(() => sizes.mayBeLarge("large") === false);
  });
});
