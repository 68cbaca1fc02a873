import { and, eq, isNull, sql } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import type { Db } from "../../db/client.js";
import { memories } from "../../db/schema.js";
import { RECALL_POOL } from "./scoring.js";

/** How long a channel's size is trusted before it is looked up again (in the background). */
const SIZE_TTL_MS = 60_000;
/** Channels whose size this process remembers. */
const CHANNELS = 10_000;

/**
 * Which channels may hold more memories than recall scores exactly (RECALL_POOL.EXACT_UP_TO).
 * Recall's exact statement is several times cheaper than its pooled one, and most channels stay
 * small however high MEMORY_CAPACITY is. A channel not looked up yet, or whose lookup failed,
 * counts as large: the pooled statement is right at any size, the exact one only slow when large.
 * A stale answer is used while a fresh one is fetched, off the recall's path.
 */
export class ChannelSizes {
  readonly #known = new LRUCache<string, { large: boolean; at: number }>({ max: CHANNELS });
  readonly #looking = new Set<string>();

  constructor(private readonly db: Db) {}

  mayBeLarge(channelId: string): boolean {
    const known = this.#known.get(channelId);
    if (!known || Date.now() - known.at > SIZE_TTL_MS) this.#lookUp(channelId);
    return known?.large ?? true;
  }

  #lookUp(channelId: string): void {
    if (this.#looking.has(channelId)) return;
    this.#looking.add(channelId);
    // Counts at most one row past the bound, by the index memories_channel_recent.
    const bounded = this.db
      .select({ one: sql`1` })
      .from(memories)
      .where(and(eq(memories.channelId, channelId), isNull(memories.forgottenAt)))
      .limit(RECALL_POOL.EXACT_UP_TO + 1)
      .as("bounded");
    this.db
      .select({ n: sql<number>`count(*)::int`.mapWith(Number) })
      .from(bounded)
      .then(
        ([row]) => this.#known.set(channelId, { large: (row?.n ?? 0) > RECALL_POOL.EXACT_UP_TO, at: Date.now() }),
        () => undefined,
      )
      .finally(() => this.#looking.delete(channelId));
  }
}
