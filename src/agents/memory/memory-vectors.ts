import { LRUCache } from "lru-cache";
import type { Logger } from "pino";
import type { Db } from "../../db/client.js";
import { type Embedder, EmbeddingError } from "../llm/openai-embedder.js";
import { DUPLICATE_SIMILARITY, REPEAT_IMPORTANCE_BUMP } from "./scoring.js";
import { enableVectors, ensureTable, hasVectorsOf, liveContents, storeVectors, tableDimension, unembedded } from "./vector-table.js";

/** How recall runs, and why, for `/agent` and `/api/health`. */
export interface RecallMode {
  mode: "hybrid" | "fulltext";
  reason: string;
}

/** Memories embedded per request. */
const BATCH = 64;
/** A stored memory waits this long for others to share its request. */
const BATCH_WINDOW_MS = 50;
/** A turn waits this long at most for its question's vector; then it recalls by words alone. */
const QUERY_TIMEOUT_MS = 2_000;
/** After a question's vector failed, turns recall by words alone this long without asking again. */
const QUERY_PAUSE_MS = 30_000;
/** After a failure the backfill tries again after this, doubling up to RETRY_MAX_MS. */
const RETRY_MS = 5_000;
const RETRY_MAX_MS = 5 * 60_000;
/** Questions' vectors kept, so the recalls of one turn (early, in turn, the tool's) ask the model once. */
const QUERY_CACHE = { max: 512, ttl: 5 * 60_000 };

/**
 * The memories' vectors: embeds what is stored right after it is stored, in batches and off the
 * turn's path; embeds what predates the model (or another model) in a backfill that resumes from
 * the table; and embeds the question of a recall, once per text. A failure never reaches the
 * caller: the memory is kept, recall uses words alone, the cause is logged once, and the backfill
 * retries later.
 */
export class MemoryVectors {
  #dimension: number | null = null;
  readonly #pending = new Set<number>();
  #batchTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryMs = RETRY_MS;
  #work: Promise<void> = Promise.resolve();
  #closed = false;
  /** Aborts the request in flight when the process stops: its memories are embedded by the next start's backfill. */
  readonly #stopping = new AbortController();
  /** The cause last logged; logged again only once it changes or embedding worked in between. */
  #failing: string | undefined;
  readonly #queries = new LRUCache<string, Promise<number[] | null>>(QUERY_CACHE);
  #queriesPausedUntil = 0;

  private constructor(
    private readonly db: Db,
    private readonly embedder: Embedder,
    private readonly log: Logger,
  ) {}

  /**
   * How recall will run: hybrid with a model and the `vector` extension (then the backfill
   * starts), else full-text with the reason.
   */
  static async open(db: Db, embedder: Embedder | undefined, log: Logger): Promise<{ mode: RecallMode; vectors?: MemoryVectors }> {
    if (!embedder) return { mode: { mode: "fulltext", reason: "EMBEDDING_MODEL is not set" } };
    if (!(await enableVectors(db)))
      return { mode: { mode: "fulltext", reason: "the database has no vector extension (install pgvector, or create it as a superuser)" } };
    const vectors = new MemoryVectors(db, embedder, log);
    vectors.#dimension = await tableDimension(db);
    vectors.backfill();
    return { mode: { mode: "hybrid", reason: `memories are embedded with ${embedder.model}` }, vectors };
  }

  get model(): string {
    return this.embedder.model;
  }

  /** Whether recall can search by vector: some memory has been embedded with this model's dimension. */
  get ready(): boolean {
    return this.#dimension !== null;
  }

  /** Embeds a stored memory soon, with others stored meanwhile. */
  queue(id: number): void {
    if (this.#closed) return;
    this.#pending.add(id);
    if (this.#pending.size >= BATCH) this.#flushSoon(0);
    else this.#flushSoon(BATCH_WINDOW_MS);
  }

  /** Embeds every live memory without a vector of this model, in batches, until none is left or one fails. */
  backfill(): void {
    this.#run(async () => {
      let after = 0;
      for (;;) {
        if (this.#closed) return;
        const batch = await unembedded(this.db, this.embedder.model, after, BATCH, this.#dimension !== null);
        if (batch.length === 0) return;
        if (!(await this.#embed(batch))) return;
        after = batch.at(-1)?.id ?? after;
      }
    });
  }

  /** The question's vector, or null when it cannot be had in time (recall then uses words alone). */
  queryVector(text: string): Promise<number[] | null> {
    const key = text.trim();
    let vector = this.#queries.get(key);
    if (!vector) {
      if (Date.now() < this.#queriesPausedUntil) return Promise.resolve(null);
      vector = this.embedder
        .embed([key], { timeoutMs: QUERY_TIMEOUT_MS })
        .then(([v]) => {
          if (v?.length === this.#dimension) {
            this.#recovered();
            return v;
          }
          throw wrongDimension(v?.length ?? 0, this.embedder.model, this.#dimension);
        })
        .catch((error: unknown) => {
          this.#failed(error);
          this.#queriesPausedUntil = Date.now() + QUERY_PAUSE_MS;
          this.#queries.delete(key);
          return null;
        });
      this.#queries.set(key, vector);
    }
    return vector;
  }

  /** Stops the timers and waits for the batch in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopping.abort();
    clearTimeout(this.#batchTimer);
    clearTimeout(this.#retryTimer);
    await this.#work;
  }

  /** Resolves once the work queued so far (batches, backfill) is done: for tests and benchmarks. */
  async settled(): Promise<void> {
    if (this.#batchTimer) {
      clearTimeout(this.#batchTimer);
      this.#batchTimer = undefined;
      this.#flush();
    }
    await this.#work;
  }

  #flushSoon(ms: number): void {
    if (this.#batchTimer && ms > 0) return;
    clearTimeout(this.#batchTimer);
    this.#batchTimer = setTimeout(() => {
      this.#batchTimer = undefined;
      this.#flush();
    }, ms);
  }

  #flush(): void {
    this.#run(async () => {
      while (this.#pending.size > 0 && !this.#closed) {
        const ids = [...this.#pending].slice(0, BATCH);
        for (const id of ids) this.#pending.delete(id);
        if (!(await this.#embed(await liveContents(this.db, ids)))) return;
      }
    });
  }

  /** One request and its rows; false when it failed (logged, and a retry scheduled). */
  async #embed(rows: { id: number; content: string }[]): Promise<boolean> {
    if (rows.length === 0) return true;
    let vectors: number[][];
    try {
      vectors = await this.embedder.embed(
        rows.map((row) => row.content),
        { signal: this.#stopping.signal },
      );
      const dimension = vectors[0]?.length ?? 0;
      if (dimension !== this.#dimension) {
        // The same model with vectors of another size is a server in trouble, not a new model.
        if (this.#dimension !== null && (await hasVectorsOf(this.db, this.embedder.model)))
          throw wrongDimension(dimension, this.embedder.model, this.#dimension);
        // The first vectors, or another model's size: the table is made (or remade) for them.
        await ensureTable(this.db, dimension);
        this.#dimension = dimension;
      }
    } catch (error) {
      if (this.#closed) return false;
      this.#failed(error);
      this.#retryLater();
      return false;
    }
    await storeVectors(
      this.db,
      this.embedder.model,
      rows.map((row, i) => ({ id: row.id, vector: vectors[i] as number[] })),
      DUPLICATE_SIMILARITY,
      REPEAT_IMPORTANCE_BUMP,
    );
    this.#recovered();
    return true;
  }

  /** Runs `task` after the work before it; its failure (the database's) is logged, never thrown at a caller. */
  #run(task: () => Promise<void>): void {
    this.#work = this.#work.then(task).catch((error: unknown) => {
      this.log.warn({ err: error }, "storing memory embeddings failed; they are retried later");
      this.#retryLater();
    });
  }

  #retryLater(): void {
    if (this.#closed || this.#retryTimer) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.backfill();
    }, this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
  }

  #failed(error: unknown): void {
    const cause = error instanceof EmbeddingError ? error.message : "the embedding request failed unexpectedly";
    if (cause === this.#failing) return;
    this.#failing = cause;
    this.log.warn({ cause, model: this.embedder.model }, `embedding memories failed: ${cause}; recall uses words alone until it works`);
  }

  #recovered(): void {
    this.#retryMs = RETRY_MS;
    this.#queriesPausedUntil = 0;
    if (this.#failing === undefined) return;
    this.#failing = undefined;
    this.log.info({ model: this.embedder.model }, "embedding memories works again");
  }
}

const wrongDimension = (got: number, model: string, stored: number | null) =>
  new EmbeddingError(`the embedding server sent vectors of ${got} dimensions where ${model} made ${stored}`);
