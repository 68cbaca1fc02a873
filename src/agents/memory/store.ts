import { and, desc, eq, inArray, ne, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { conversations, memories, memoryKinds } from "../../db/schema.js";
import { clampImportance, RECALL_POOL, REPEAT_IMPORTANCE_BUMP, VALUE_BASE, valueSql } from "./scoring.js";
import type { ListOptions, MemoryKind, MemoryRecord, RecallQuery, RememberInput } from "./types.js";

export interface MemoryStoreOptions {
  /** Most memories one channel keeps; beyond it the least valuable are evicted. */
  capacity: number;
  /** Where episodic memories and access bumps are written (see Database.relaxed); the store's own database by default. */
  relaxed?: Db;
}

const DEFAULT_RECALL_LIMIT = 5;
const MAX_RECALL_LIMIT = 100;
const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 1000;
/** Words of a query that take part in the search; the rest are ignored. */
const MAX_QUERY_WORDS = 32;
const MAX_QUERY_CHARS = 2000;

const recordColumns = {
  id: memories.id,
  kind: memories.kind,
  content: memories.content,
  importance: memories.importance,
  accessCount: memories.accessCount,
  createdAt: memories.createdAt,
  lastAccessedAt: memories.lastAccessedAt,
  conversationId: memories.conversationId,
};

/**
 * Turns free user text into input for websearch_to_tsquery that ORs every word: websearch syntax
 * (quotes, a leading "-", the word "or") is stripped, so the text can only ever mean "any of these
 * words". Words made of several lexemes (state-of-the-art, ops@example.com) stay one word.
 * Returns "" when nothing searchable is left. The result is still only ever a bound parameter.
 */
export function toSearchText(query: string): string {
  const words: string[] = [];
  for (const raw of query.slice(0, MAX_QUERY_CHARS).split(/\s+/u)) {
    const word = raw.replace(/"/gu, "").replace(/^-+/u, "");
    if (!/[\p{L}\p{N}]/u.test(word) || word.toLowerCase() === "or") continue;
    words.push(word);
    if (words.length === MAX_QUERY_WORDS) break;
  }
  return words.join(" or ");
}

/**
 * A channel's memory in Postgres (or PGlite): remember, recall by full-text relevance weighted
 * by importance and recency, list, forget. Working memory belongs to one thread; the other kinds
 * to the whole channel.
 */
export class MemoryStore {
  private readonly capacity: number;
  private readonly relaxed: Db;
  // Recall's one statement per shape, prepared once: building and planning it cost more than running it.
  readonly #recalls = new Map<string, RecallStatement>();

  constructor(
    private readonly db: Db,
    options: MemoryStoreOptions,
  ) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new Error(`MemoryStore capacity must be a positive integer, got ${options.capacity}`);
    }
    this.capacity = options.capacity;
    this.relaxed = options.relaxed ?? db;
  }

  /**
   * Stores a memory. The same content again in the same channel and kind (and thread, for working
   * memory) bumps the existing row's importance, access count and last use instead of adding a
   * row. An insert that takes the channel over capacity evicts its least valuable older memories:
   * what the channel was just told is kept, as a user who asks the bot to remember expects.
   */
  async remember(input: RememberInput): Promise<MemoryRecord> {
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
      const [inserted] = await this.#insertWithinCapacity({
        channelId: input.channelId,
        kind,
        content,
        importance,
        conversationId: conversationId ?? null,
      });
      if (inserted) return toRecord(inserted);
      const [bumped] = await this.db
        .update(memories)
        .set({
          importance: sql`least(1, greatest(${memories.importance}, ${importance}::real) + ${REPEAT_IMPORTANCE_BUMP}::real)`,
          accessCount: sql`${memories.accessCount} + 1`,
          lastAccessedAt: sql`now()`,
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
      if (bumped) return toRecord(bumped);
      // The duplicate was forgotten in between (or, absurdly, an md5 collision): try again.
    }
    throw new Error("Could not store the memory: it kept conflicting with a row that is not its duplicate");
  }

  /**
   * The memories of the channel that best answer `query`, best first. Any word of the query may
   * match. The score is ts_rank × (floor + importance × recency decay × access boost), computed
   * in one statement that uses the full-text GIN index and marks the rows it returns as used.
   */
  async recall(query: RecallQuery): Promise<MemoryRecord[]> {
    const params = recallParams(query);
    if (!params) return [];
    const shape = recallShape(query, this.capacity);
    const key = JSON.stringify(shape);
    let statement = this.#recalls.get(key);
    if (!statement) {
      statement = recallStatement(this.relaxed, shape).prepare(`recall_${this.#recalls.size}`);
      this.#recalls.set(key, statement);
    }
    const recalled = await statement.execute(params);
    return recalled.map(toRecord);
  }

  /** The channel's memories, most valuable first (importance × recency decay × access boost). */
  async list(channelId: string, options: ListOptions = {}): Promise<MemoryRecord[]> {
    const limit = clampLimit(options.limit, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
    if (limit === 0 || (options.kinds && options.kinds.length === 0)) return [];
    const rows = await this.db
      .select(recordColumns)
      .from(memories)
      .where(and(eq(memories.channelId, channelId), options.kinds ? inArray(memories.kind, options.kinds.map(checkKind)) : undefined))
      .orderBy(desc(valueSql()), desc(memories.id))
      .limit(limit);
    return rows.map(toRecord);
  }

  async count(channelId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int`.mapWith(Number) })
      .from(memories)
      .where(eq(memories.channelId, channelId));
    return row?.n ?? 0;
  }

  /** Forgets one memory, only if it belongs to this channel. */
  async forget(channelId: string, id: number): Promise<boolean> {
    if (!Number.isSafeInteger(id) || id < 1) return false;
    const rows = await this.db
      .delete(memories)
      .where(and(eq(memories.channelId, channelId), eq(memories.id, id)))
      .returning({ id: memories.id });
    return rows.length > 0;
  }

  /** Forgets everything the channel remembers; returns how many memories went. */
  async forgetAll(channelId: string): Promise<number> {
    const rows = await this.db.delete(memories).where(eq(memories.channelId, channelId)).returning({ id: memories.id });
    return rows.length;
  }

  /**
   * One statement: stores the memory unless it is a duplicate and, when it did, forgets the
   * channel's least valuable older memories beyond capacity (the new one is always kept).
   */
  #insertWithinCapacity(row: typeof memories.$inferInsert & { channelId: string }) {
    // What happened in a conversation is bookkeeping; a fact, a preference or a procedure is not.
    const db = row.kind === "episodic" ? this.relaxed : this.db;
    const inserted = db.$with("inserted").as(db.insert(memories).values(row).onConflictDoNothing().returning(recordColumns));
    // The statement's snapshot holds the older memories only: room is made for the new one.
    const surplus = db
      .select({ id: memories.id })
      .from(memories)
      .where(
        and(
          eq(memories.channelId, row.channelId),
          sql`exists (select 1 from ${inserted})`,
          // Ranks the channel only when it is full: counting to capacity is cheap, valuing every row is not.
          sql`exists (select 1 from memories kept where kept.channel_id = ${row.channelId} offset ${literal(this.capacity - 1)})`,
        ),
      )
      .orderBy(desc(valueSql()), desc(memories.id))
      .offset(this.capacity - 1);
    const evicted = db.$with("evicted").as(
      db
        .delete(memories)
        .where(and(eq(memories.channelId, row.channelId), inArray(memories.id, surplus)))
        .returning({ id: memories.id }),
    );
    return db.with(inserted, evicted).select().from(inserted);
  }
}

type RecallStatement = ReturnType<ReturnType<typeof recallStatement>["prepare"]>;

/** What recall's statement is built from; its values are bound when it runs. */
interface RecallShape {
  /** Whose working memory is included: the thread's by its id, by its platform id, or none. */
  thread: "id" | "external" | false;
  kinds?: MemoryKind[];
  /**
   * Whether a channel may hold more memories than recall can score exactly (RECALL_POOL's
   * EXACT_UP_TO): then candidates come from a bounded pool. Up to that size every match is
   * scored, by a much simpler statement (cheaper to plan, which matters most on PGlite).
   */
  pooled: boolean;
}

const recallShape = (query: RecallQuery, capacity: number): RecallShape => ({
  thread: query.conversationId !== undefined ? "id" : query.externalThreadId !== undefined ? "external" : false,
  kinds: query.kinds?.map(checkKind),
  pooled: capacity > RECALL_POOL.EXACT_UP_TO,
});

/** The bound values of a recall, or null when it cannot match anything (no searchable words, no kinds, limit 0). */
function recallParams(query: RecallQuery) {
  const limit = clampLimit(query.limit, DEFAULT_RECALL_LIMIT, MAX_RECALL_LIMIT);
  const text = toSearchText(query.query);
  if (limit === 0 || text === "" || (query.kinds && query.kinds.length === 0)) return null;
  return { channel: query.channelId, text, conversation: query.conversationId ?? query.externalThreadId ?? "", limit };
}

/**
 * The one ranking query of recall, with the values bound: the memories, best first, or null when
 * the query cannot match anything. Exported so benchmarks can EXPLAIN it.
 */
export function recallRankingQuery(db: Db, query: RecallQuery, capacity: number) {
  const params = recallParams(query);
  return params && rankingStatement(db, recallShape(query, capacity), params);
}

/**
 * Recall as one statement: the ranking, and the access bump of what it returns (the new count and
 * time come back with the rows). The bump is bookkeeping: it skips rows another statement holds,
 * so a recall never waits for one (nor deadlocks with an eviction).
 */
function recallStatement(db: Db, shape: RecallShape) {
  const ranked = db.$with("ranked").as(rankingStatement(db, shape));
  const touched = db.$with("touched", { id: memories.id }).as(
    sql`update ${memories} set access_count = access_count + 1, last_accessed_at = now()
        where id in (select id from memories where id in (select id from ranked) order by id for update skip locked)
        returning id`,
  );
  const { score: _score, ...record } = ranked._.selectedFields;
  const bumped = sql`${touched.id} is not null`;
  return db
    .with(ranked, touched)
    .select({
      ...record,
      accessCount: sql<number>`${ranked.accessCount} + (${bumped})::int`.mapWith(Number),
      lastAccessedAt: sql<Date>`case when ${bumped} then now() else ${ranked.lastAccessedAt} end`.mapWith(
        (v: string | Date) => new Date(v),
      ),
    })
    .from(ranked)
    .leftJoin(touched, eq(touched.id, ranked.id))
    .orderBy(desc(ranked.score), desc(ranked.id));
}

/**
 * Recall's ranking statement for one shape, its values bound or, without `values`, left as
 * placeholders of the same names for a prepared statement.
 *
 * Matching is OR over the question's lexemes (to_tsvector of the sanitised text), through the GIN
 * index memories_search_keys whose keys are scoped to the channel. Every match is scored, or in a
 * channel that may outgrow that, the bounded candidates of RECALL_POOL (scoring.ts):
 *   ts_rank(search, websearch_to_tsquery('english', text), 1) * (VALUE_BASE + value)
 * User text only ever reaches Postgres as a bound parameter.
 */
function rankingStatement(db: Db, shape: RecallShape, values?: NonNullable<ReturnType<typeof recallParams>>) {
  const { kinds } = shape;
  const bind = <K extends keyof NonNullable<typeof values>>(name: K) => (values ? values[name] : sql.placeholder(name));

  const channel = sql`${bind("channel")}::text`;
  const text = sql`${bind("text")}::text`;
  const conversation =
    shape.thread === "external"
      ? sql`(select c.id from ${conversations} c where c.channel_id = ${channel} and c.external_thread_id = ${bind("conversation")}::text)`
      : sql`${bind("conversation")}::text`;
  // Unqualified column names: every use below is inside a subquery over memories.
  const eligible = sql.join(
    [
      shape.thread ? sql`(kind <> 'working' or conversation_id = ${conversation})` : sql`kind <> 'working'`,
      ...(kinds
        ? [
            sql`kind in (${sql.join(
              kinds.map((kind) => sql`${kind}::text`),
              sql`, `,
            )})`,
          ]
        : []),
    ],
    sql` and `,
  );
  // An InitPlan, so that it is computed once, not for each row a scan filters.
  const queryKeys = sql`(select memory_search_keys(${channel}, to_tsvector('english', ${text})))`;
  const keysOf = sql`memory_search_keys(channel_id, search)`;
  // Where Postgres scans the channel rather than the index (a channel of a few hundred memories),
  // the plain lexemes turn most rows away before their keys are built, which costs far more.
  const lexemes = sql`tsvector_to_array(${memories.search}) && (select tsvector_to_array(to_tsvector('english', ${text})))`;
  const matches = shape.pooled
    ? sql`${memories.id} = any(array(${candidates({ channel, text, eligible, queryKeys, keysOf })}))`
    : sql`${lexemes} and ${keysOf} && ${queryKeys}`;
  const working = shape.thread
    ? or(ne(memories.kind, "working"), sql`${memories.conversationId} = ${conversation}`)
    : ne(memories.kind, "working");
  // The tsquery as an InitPlan: computed once even when Postgres reuses a generic plan.
  const score = sql`ts_rank(${memories.search}, (select websearch_to_tsquery('english', ${text})), 1) * (${literal(VALUE_BASE)} + ${valueSql()})`;
  return db
    .select({ ...recordColumns, score: sql<number>`${score}`.as("score") })
    .from(memories)
    .where(and(sql`${memories.channelId} = ${channel}`, matches, working, kinds ? inArray(memories.kind, kinds) : undefined))
    .orderBy(desc(score), desc(memories.id))
    .limit(sql`${bind("limit")}::int` as unknown as number);
}

/** A constant of the query's shape, inlined so that the planner can fold it (never user input). */
const literal = (value: number) => sql.raw(String(Math.trunc(value)));

/** The bounded candidate pool of a recall in a channel too large to score every match. */
function candidates(parts: { channel: SQL; text: SQL; eligible: SQL; queryKeys: SQL; keysOf: SQL }): SQL {
  const { channel, text, eligible, queryKeys, keysOf } = parts;
  const P = RECALL_POOL;
  const n = literal;
  return sql`
    with recent as materialized (
      select id, tsvector_to_array(search) as lexemes from memories
      where channel_id = ${channel} and ${eligible}
      order by id desc limit ${n(P.RECENT_WINDOW)}),
    terms as materialized (
      select q.lexeme, q.key, coalesce(seen.n, 0) as seen,
             row_number() over (order by coalesce(seen.n, 0), q.lexeme) as rarity
      from unnest(tsvector_to_array(to_tsvector('english', ${text})), ${queryKeys}) as q(lexeme, key)
      left join (select lexeme, count(*) as n from recent, unnest(recent.lexemes) as lexeme group by lexeme) seen
        using (lexeme))
    select id from recent where lexemes && array(select lexeme from terms)
    union
    (select id from memories
     where ${keysOf} && ${queryKeys} and ${eligible}
       and (select count(*) from (
              select 1 from memories where channel_id = ${channel} order by id desc limit ${n(P.EXACT_UP_TO + 1)}) c)
           <= ${n(P.EXACT_UP_TO)}
     limit ${n(P.EXACT_UP_TO)})
    union
    (select id from memories where ${keysOf} @> ${queryKeys} and ${eligible} limit ${n(P.ALL_TERMS_CAP)})
    union
    select x.id from terms t
    cross join lateral (
      select id from memories where ${keysOf} @> array[t.key] and ${eligible} limit ${n(P.RARE_TERM_CAP)}) x
    where t.seen < ${n(P.RARE_TERM_SEEN)}
    union
    select x.id from terms a
    join terms b on a.rarity < b.rarity and b.rarity <= ${n(P.PAIR_TERMS)}
      and (select count(*) from recent r where r.lexemes @> array[a.lexeme, b.lexeme]) < ${n(P.PAIR_SEEN)}
    cross join lateral (
      select id from memories where ${keysOf} @> array[a.key, b.key] and ${eligible} limit ${n(P.PAIR_CAP)}) x`;
}

function checkKind(kind: MemoryKind): MemoryKind {
  if (!(memoryKinds as readonly string[]).includes(kind)) throw new Error(`Unknown memory kind: ${String(kind)}`);
  return kind;
}

/** 0 (or less) means "none"; NaN or absent means the default. */
function clampLimit(value: number | undefined, fallback: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(0, Math.floor(value)));
}

function toRecord(row: {
  id: number;
  kind: MemoryKind;
  content: string;
  importance: number;
  accessCount: number;
  createdAt: Date;
  lastAccessedAt: Date;
  conversationId: string | null;
}): MemoryRecord {
  return {
    id: Number(row.id),
    kind: row.kind,
    content: row.content,
    // A real column: round off float4 noise (0.699999988 -> 0.7).
    importance: Math.round(Number(row.importance) * 1e6) / 1e6,
    accessCount: Number(row.accessCount),
    createdAt: row.createdAt,
    lastAccessedAt: row.lastAccessedAt,
    conversationId: row.conversationId,
  };
}
