import { and, desc, eq, inArray, isNull, notInArray, type SQL, sql } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import type { Db } from "../../db/client.js";
import { memories } from "../../db/schema.js";
import { SelfAnalyze } from "../../db/self-analyze.js";
import { type DisplacedFact, insertWithinCapacity, isTaught, type NewMemory, restorableSql, TAUGHT_KINDS } from "./capacity.js";
import { ChannelSizes } from "./channel-sizes.js";
import { hybridRecall } from "./hybrid-query.js";
import type { MemoryVectors, RecallMode } from "./memory-vectors.js";
import { type RecallStatement, recallParams, recallShape, recallStatement } from "./recall-query.js";
import { checkKind, clampLimit, recordColumns, toRecord } from "./record.js";
import { clampImportance, HYBRID, RECALL_POOL, REPEAT_IMPORTANCE_BUMP, valueSql } from "./scoring.js";
import type { ListOptions, MemoryKind, MemoryRecord, RecallQuery, RememberInput } from "./types.js";

export interface MemoryStoreOptions {
  /** Most memories one channel keeps; beyond it records of turns go first, then the least valuable facts (restorably). */
  capacity: number;
  /** Where episodic memories and access bumps are written (see Database.relaxed); the store's own database by default. */
  relaxed?: Db;
  /** How recall runs (see MemoryVectors.open); full-text alone when absent. */
  recall?: { mode: RecallMode; vectors?: MemoryVectors };
  /** Analyze the memories table as it grows, where the database does not (PGlite: see SelfAnalyze). */
  selfAnalyze?: boolean;
}

const DEFAULT_LIST_LIMIT = 50;
/** Longest a recall waits for a held write (see `hold`): a write slower than this is the database's trouble, not recall's. */
const HELD_WAIT_MS = 2_000;
const MAX_LIST_LIMIT = 1000;
/** Threads whose displaced facts are waiting to be told (see `takeDisplaced`); a turn takes its own at once. */
const DISPLACED_THREADS = 1000;

/** A stored memory, and the taught facts its write forced out of a full channel. */
export type Remembered = MemoryRecord & { displaced: DisplacedFact[] };

/**
 * A channel's memory in Postgres (or PGlite): remember, recall by full-text relevance weighted
 * by importance and recency, list, forget. Working memory belongs to one thread; the other kinds
 * to the whole channel.
 */
export class MemoryStore {
  /** Most memories a channel keeps. */
  readonly capacity: number;
  private readonly relaxed: Db;
  private readonly vectors: MemoryVectors | undefined;
  /** Whether recall fuses meaning with words, and why (for `/agent` and `/api/health`). */
  readonly recallMode: RecallMode;
  // Recall's one statement per shape, prepared once: building and planning it cost more than running it.
  // Shapes are few (a thread or not, which kinds); the bound guards against callers listing kinds in every order.
  readonly #recalls = new LRUCache<string, RecallStatement>({ max: 64 });
  #prepared = 0;
  /** The insert of `remember`, prepared once per database and shape (see insertWithinCapacity). */
  readonly #inserts = new Map<string, InsertStatement>();
  readonly #sizes: ChannelSizes;
  readonly #analyze: SelfAnalyze | undefined;
  /** Per channel, memories this process is about to write (see `hold`); recall in the channel waits for them. */
  readonly #held = new Map<string, Set<Promise<void>>>();
  /** Per thread, the facts its remembers displaced, until its turn says so. */
  readonly #displaced = new LRUCache<string, DisplacedFact[]>({ max: DISPLACED_THREADS });

  constructor(
    private readonly db: Db,
    options: MemoryStoreOptions,
  ) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new Error(`MemoryStore capacity must be a positive integer, got ${options.capacity}`);
    }
    this.capacity = options.capacity;
    this.relaxed = options.relaxed ?? db;
    this.#sizes = new ChannelSizes(this.relaxed);
    this.#analyze = options.selfAnalyze ? new SelfAnalyze(db, memories) : undefined;
    this.vectors = options.recall?.vectors;
    this.recallMode = options.recall?.mode ?? { mode: "fulltext", reason: "EMBEDDING_MODEL is not set" };
  }

  /**
   * Stores a memory. The same content again in the same channel and kind (and thread, for working
   * memory) bumps the existing row's importance, access count and last use instead of adding a
   * row (and restores it, if it was forgotten). An insert that takes the channel over capacity
   * makes room among its older memories (see insertWithinCapacity): what the channel was just told
   * is kept, as a user who asks the bot to remember expects. Facts it displaced are returned and,
   * when `conversationId` is given, kept for that thread's `takeDisplaced`.
   */
  async remember(input: RememberInput): Promise<Remembered> {
    const kind = checkKind(input.kind);
    const content = input.content.trim();
    if (content === "") throw new Error("Cannot remember empty content");
    const conversationId = kind === "working" ? input.conversationId : undefined;
    if (kind === "working" && !conversationId) {
      throw new Error("Working memory belongs to a thread: conversationId is required");
    }
    const importance = clampImportance(input.importance, kind);

    // Concurrent identical remembers meet on the unique index memories_dedupe; the loser bumps.
    for (let attempt = 0; attempt < 3; attempt++) {
      const row: NewMemory = {
        channelId: input.channelId,
        kind,
        content,
        author: input.author?.trim() || null,
        importance,
        conversationId: conversationId ?? null,
      };
      const [inserted] = await this.#insert(kind).execute(row);
      if (inserted) {
        const { displaced, ...record } = inserted;
        this.#analyze?.wrote();
        this.vectors?.queue(record.id);
        if (displaced.length && input.conversationId) {
          this.#displaced.set(input.conversationId, [...(this.#displaced.get(input.conversationId) ?? []), ...displaced]);
        }
        return { ...toRecord(record), displaced };
      }
      const [bumped] = await this.db
        .update(memories)
        .set({
          importance: sql`least(1, greatest(${memories.importance}, ${importance}::real) + ${REPEAT_IMPORTANCE_BUMP}::real)`,
          accessCount: sql`${memories.accessCount} + 1`,
          lastAccessedAt: sql`now()`,
          forgottenAt: null,
        })
        .where(
          and(
            eq(memories.channelId, input.channelId),
            eq(memories.kind, kind),
            sql`coalesce(${memories.conversationId}, '') = ${conversationId ?? ""}`,
            sql`(md5(${memories.content})::uuid) = (md5(${content}::text)::uuid)`,
            eq(memories.content, content),
          ),
        )
        .returning(recordColumns);
      if (bumped) return { ...toRecord(bumped), displaced: [] };
      // The duplicate was forgotten in between (or, absurdly, an md5 collision): try again.
    }
    throw new Error("Could not store the memory: it kept conflicting with a row that is not its duplicate");
  }

  /** The prepared insert for a memory of `kind`: what happened in a conversation is bookkeeping; a fact, a preference or a procedure is not. */
  #insert(kind: MemoryKind): InsertStatement {
    const relaxed = kind === "episodic";
    const taught = isTaught(kind);
    const key = `${relaxed}/${taught}`;
    let statement = this.#inserts.get(key);
    if (!statement) {
      statement = insertWithinCapacity(relaxed ? this.relaxed : this.db, taught, this.capacity).prepare(`remember_${++this.#prepared}`);
      this.#inserts.set(key, statement);
    }
    return statement;
  }

  /**
   * The memories of the channel that best answer `query`, best first. Any word of the query may
   * match. The score is ts_rank × (floor + importance × recency decay × access boost), computed
   * in one statement that uses the full-text GIN index and marks the rows it returns as used.
   */
  async recall(query: RecallQuery): Promise<MemoryRecord[]> {
    const held = this.#held.get(query.channelId);
    const params = recallParams(query);
    // The question's vector is asked for while a held write is awaited; null: words alone.
    const [vector] = await Promise.all([
      params && this.vectors?.ready ? this.vectors.queryVector(query.query) : null,
      held && settledWithin([...held], HELD_WAIT_MS),
    ]);
    if (!params) return [];
    const shape = recallShape(query, this.capacity > RECALL_POOL.EXACT_UP_TO && this.#sizes.mayBeLarge(query.channelId));
    if (vector && this.vectors)
      return hybridRecall(this.relaxed, shape, params, { vector, model: this.vectors.model, minSimilarity: HYBRID.MIN_SIMILARITY });
    const key = JSON.stringify(shape);
    let statement = this.#recalls.get(key);
    if (!statement) {
      statement = recallStatement(this.relaxed, shape).prepare(`recall_${++this.#prepared}`);
      this.#recalls.set(key, statement);
    }
    const recalled = await statement.execute(params);
    return recalled.map(toRecord);
  }

  /**
   * Makes every recall in the channel that starts before the returned function is called wait for
   * it (at most HELD_WAIT_MS): a memory this process is about to write, such as a turn's episodic
   * record written after its answer is shown, is seen by a message that arrives meanwhile in any
   * thread of the channel. Other processes do not wait.
   */
  hold(channelId: string): () => void {
    let release!: () => void;
    const written = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held = this.#held.get(channelId) ?? new Set();
    this.#held.set(channelId, held.add(written));
    return () => {
      release();
      held.delete(written);
      if (held.size === 0 && this.#held.get(channelId) === held) this.#held.delete(channelId);
    };
  }

  /** The facts that remembers of this thread displaced since it last asked, oldest first; each is told once. */
  takeDisplaced(conversationId: string): DisplacedFact[] {
    const displaced = this.#displaced.get(conversationId) ?? [];
    this.#displaced.delete(conversationId);
    return displaced;
  }

  /** The channel's memories, most valuable first (importance × recency decay × access boost). */
  async list(channelId: string, options: ListOptions = {}): Promise<MemoryRecord[]> {
    const limit = clampLimit(options.limit, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
    if (limit === 0 || (options.kinds && options.kinds.length === 0)) return [];
    const rows = await this.db
      .select(recordColumns)
      .from(memories)
      .where(
        and(
          eq(memories.channelId, channelId),
          isNull(memories.forgottenAt),
          options.kinds ? inArray(memories.kind, options.kinds.map(checkKind)) : undefined,
        ),
      )
      .orderBy(desc(valueSql()), desc(memories.id))
      .limit(limit);
    return rows.map(toRecord);
  }

  async count(channelId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int`.mapWith(Number) })
      .from(memories)
      .where(and(eq(memories.channelId, channelId), isNull(memories.forgottenAt)));
    return row?.n ?? 0;
  }

  /** The channel's forgotten facts still restorable, most recently forgotten first. */
  async forgotten(channelId: string, options: { limit?: number } = {}): Promise<(MemoryRecord & { forgottenAt: Date })[]> {
    const limit = clampLimit(options.limit, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
    const rows = await this.db
      .select({ ...recordColumns, forgottenAt: sql<Date>`${memories.forgottenAt}`.mapWith((v: string | Date) => new Date(v)) })
      .from(memories)
      .where(and(eq(memories.channelId, channelId), restorableSql()))
      .orderBy(desc(memories.forgottenAt), desc(memories.id))
      .limit(limit);
    return rows.map(({ forgottenAt, ...row }) => ({ ...toRecord(row), forgottenAt }));
  }

  /**
   * Brings a forgotten fact of this channel back, fresh (as if just used), or null when there is
   * none restorable by that id. It counts toward capacity again from the channel's next write.
   */
  async restore(channelId: string, id: number): Promise<MemoryRecord | null> {
    if (!Number.isSafeInteger(id) || id < 1) return null;
    const [row] = await this.db
      .update(memories)
      .set({ forgottenAt: null, lastAccessedAt: sql`now()` })
      .where(and(eq(memories.channelId, channelId), eq(memories.id, id), restorableSql()))
      .returning(recordColumns);
    if (row) this.vectors?.queue(row.id);
    return row ? toRecord(row) : null;
  }

  /** Forgets one memory, only if it belongs to this channel: a taught fact restorably, anything else for good. */
  async forget(channelId: string, id: number): Promise<boolean> {
    if (!Number.isSafeInteger(id) || id < 1) return false;
    return (await this.#forget(and(eq(memories.channelId, channelId), eq(memories.id, id)))) > 0;
  }

  /** Forgets everything the channel remembers (taught facts restorably); returns how many memories went. */
  async forgetAll(channelId: string): Promise<number> {
    return this.#forget(eq(memories.channelId, channelId));
  }

  async #forget(which: SQL | undefined): Promise<number> {
    const live = and(which, isNull(memories.forgottenAt));
    return this.db.transaction(async (tx) => {
      const marked = await tx
        .update(memories)
        .set({ forgottenAt: sql`now()` })
        .where(and(live, inArray(memories.kind, [...TAUGHT_KINDS])))
        .returning({ id: memories.id });
      const deleted = await tx
        .delete(memories)
        .where(and(live, notInArray(memories.kind, [...TAUGHT_KINDS])))
        .returning({ id: memories.id });
      return marked.length + deleted.length;
    });
  }
}

type InsertStatement = ReturnType<ReturnType<typeof insertWithinCapacity>["prepare"]>;

/** Resolves once every promise has settled, or after `ms`, whichever comes first. */
function settledWithin(promises: Promise<unknown>[], ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([Promise.allSettled(promises), late]).finally(() => clearTimeout(timer));
}
