import type { Background } from "../core/background.js";
import type { Db } from "../db/client.js";
import { toolCalls } from "../db/schema.js";

export type AuditRow = typeof toolCalls.$inferInsert;

const BATCH = 500;

/**
 * The `tool_calls` audit table. With a Background, rows are queued and written in batches off the
 * call's path (an insert costs far more than the rest of a call); shutdown waits for them, and
 * readers call `flush` first so they see every call. Without one, each call awaits its row.
 */
export class AuditLog {
  #queue: AuditRow[] = [];
  #writing: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly background?: Background,
  ) {}

  async record(row: AuditRow): Promise<void> {
    if (!this.background) {
      await this.db.insert(toolCalls).values(row);
      return;
    }
    this.#queue.push(row);
    if (this.#writing) return;
    // The write starts a macrotask later, so calls finishing in this turn of the event loop join it.
    this.#writing = this.background.run("tool audit", () => this.#drain());
  }

  /** Resolves when every row recorded so far is in the table. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  async #drain(): Promise<void> {
    const refused: unknown[] = [];
    try {
      while (this.#queue.length > 0) refused.push(...(await this.#insert(this.#queue.splice(0, BATCH))));
    } finally {
      this.#writing = undefined;
    }
    if (refused.length > 0) throw new AggregateError(refused, `${refused.length} audit row(s) refused`);
  }

  /** A row the table refuses (its conversation deleted meanwhile, say) costs only itself, not its batch. */
  async #insert(rows: AuditRow[]): Promise<unknown[]> {
    try {
      await this.db.insert(toolCalls).values(rows);
      return [];
    } catch (error) {
      if (rows.length === 1) return [error];
      const results = await Promise.allSettled(rows.map((row) => this.db.insert(toolCalls).values(row)));
      return results.flatMap((result) => (result.status === "rejected" ? [result.reason] : []));
    }
  }
}
