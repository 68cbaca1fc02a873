import { getTableName, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./client.js";
import { rowsOf } from "./rows.js";

/** Postgres' autovacuum analyzes a table once this many rows of it, plus SHARE of its size, changed. */
const BASE = 50;
const SHARE = 0.1;

/**
 * Analyzes a table as Postgres' autovacuum would, for a database that runs none (PGlite): without
 * statistics its planner guesses every table tiny, and reads a busy channel's memories row by row
 * through recall's per-channel keys, several times the cost of the plan it picks once it knows.
 * Writes are counted here; past the threshold the table is analyzed in the background.
 */
export class SelfAnalyze {
  #writes = 0;
  #rows = 0;
  #running = false;

  constructor(
    private readonly db: Db,
    private readonly table: PgTable,
  ) {}

  /** `count` rows of the table were written. */
  wrote(count = 1): void {
    this.#writes += count;
    if (this.#running || this.#writes < BASE + SHARE * this.#rows) return;
    this.#running = true;
    this.#writes = 0;
    void this.#analyze().finally(() => {
      this.#running = false;
    });
  }

  async #analyze(): Promise<void> {
    try {
      await this.db.execute(sql`analyze ${this.table}`);
      const [row] = rowsOf<{ n: number | string }>(
        await this.db.execute(sql`select reltuples::float8 as n from pg_class where oid = ${getTableName(this.table)}::regclass`),
      );
      this.#rows = Math.max(0, Number(row?.n ?? 0));
    } catch {
      // Statistics only steer plans: the next threshold tries again.
    }
  }
}
