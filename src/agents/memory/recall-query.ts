import { and, desc, eq, inArray, isNull, ne, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { conversations, memories } from "../../db/schema.js";
import { checkKind, clampLimit, literal, recordColumns } from "./record.js";
import { RECALL_POOL, VALUE_BASE, valueSql } from "./scoring.js";
import type { MemoryKind, RecallQuery } from "./types.js";

const DEFAULT_RECALL_LIMIT = 5;
const MAX_RECALL_LIMIT = 100;
/** Words of a query that take part in the search; the rest are ignored. */
const MAX_QUERY_WORDS = 32;
const MAX_QUERY_CHARS = 2000;

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

export type RecallStatement = ReturnType<ReturnType<typeof recallStatement>["prepare"]>;

/** What recall's statement is built from; its values are bound when it runs. */
export interface RecallShape {
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

export const recallShape = (query: RecallQuery, pooled: boolean): RecallShape => ({
  thread: query.conversationId !== undefined ? "id" : query.externalThreadId !== undefined ? "external" : false,
  kinds: query.kinds?.map(checkKind),
  pooled,
});

/** The bound values of a recall, or null when it cannot match anything (no searchable words, no kinds, limit 0). */
export function recallParams(query: RecallQuery) {
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
  return params && rankingStatement(db, recallShape(query, capacity > RECALL_POOL.EXACT_UP_TO), params);
}

/**
 * Recall as one statement: the ranking, and the access bump of what it returns (the new count and
 * time come back with the rows). The bump is bookkeeping: it skips rows another statement holds,
 * so a recall never waits for one (nor deadlocks with an eviction).
 */
export function recallStatement(db: Db, shape: RecallShape) {
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

type RecallValues = NonNullable<ReturnType<typeof recallParams>>;

/**
 * The bound values of a recall (or placeholders of the same names), and which memories it may
 * return: live ones, the thread's working memory only, the kinds asked for. `eligible` names
 * columns unqualified, for statements over memories alone.
 */
export function eligibility(shape: RecallShape, values?: RecallValues) {
  const { kinds } = shape;
  const bind = <K extends keyof RecallValues>(name: K) => (values ? values[name] : sql.placeholder(name));
  const channel = sql`${bind("channel")}::text`;
  const text = sql`${bind("text")}::text`;
  const conversation =
    shape.thread === "external"
      ? sql`(select c.id from ${conversations} c where c.channel_id = ${channel} and c.external_thread_id = ${bind("conversation")}::text)`
      : sql`${bind("conversation")}::text`;
  const eligible = sql.join(
    [
      sql`forgotten_at is null`,
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
  return { bind, channel, text, conversation, eligible };
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
export function rankingStatement(db: Db, shape: RecallShape, values?: RecallValues) {
  const { kinds } = shape;
  const { bind, channel, text, conversation, eligible } = eligibility(shape, values);
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
    .where(
      and(
        sql`${memories.channelId} = ${channel}`,
        isNull(memories.forgottenAt),
        matches,
        working,
        kinds ? inArray(memories.kind, kinds) : undefined,
      ),
    )
    .orderBy(desc(score), desc(memories.id))
    .limit(sql`${bind("limit")}::int` as unknown as number);
}

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
              select 1 from memories where channel_id = ${channel} and forgotten_at is null order by id desc limit ${n(P.EXACT_UP_TO + 1)}) c)
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
