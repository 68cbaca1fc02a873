import type { Background } from "../agents/background.js";
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
    const writing = this.#drain();
    this.#writing = writing;
    this.background.run("tool audit", () => writing);
  }

  /** Resolves when every row recorded so far is in the table. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing.catch(() => undefined);
  }

  async #drain(): Promise<void> {
    try {
      // Calls finishing in this turn of the event loop join the same insert.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.#queue.length > 0) await this.db.insert(toolCalls).values(this.#queue.splice(0, BATCH));
    } finally {
      this.#writing = undefined;
    }
  }
}
