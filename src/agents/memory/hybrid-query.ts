import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { rowsOf } from "../../db/rows.js";
import { eligibility, type RecallShape, rankingStatement, type recallParams } from "./recall-query.js";
import { literal, toRecord } from "./record.js";
import { HYBRID, VALUE_BASE, valueSql } from "./scoring.js";
import type { MemoryRecord } from "./types.js";
import { VECTOR_TABLE, vectorText } from "./vector-table.js";

interface Row {
  id: number | string;
  kind: MemoryRecord["kind"];
  content: string;
  author: string | null;
  importance: number | string;
  access_count: number | string;
  created_at: Date | string;
  last_accessed_at: Date | string;
  conversation_id: string | null;
}

/**
 * Hybrid recall as one statement: the full-text ranking's best HYBRID.POOL, the channel's
 * HYBRID.POOL nearest vectors of `model` (the HNSW index), fused by reciprocal rank and weighed
 * by value; only relevant candidates (scoring.ts, HYBRID) and only eligible ones (channel,
 * thread, kinds, not forgotten). Marks what it returns as used, skipping rows another statement
 * holds, as full-text recall does.
 */
export async function hybridRecall(
  db: Db,
  shape: RecallShape,
  values: NonNullable<ReturnType<typeof recallParams>>,
  query: { vector: readonly number[]; model: string; minSimilarity: number },
): Promise<MemoryRecord[]> {
  const { channel, eligible } = eligibility(shape, values);
  const words = rankingStatement(db, shape, { ...values, limit: HYBRID.POOL });
  const vector = sql`${vectorText(query.vector)}::vector`;
  const table = sql.raw(VECTOR_TABLE);
  const k = literal(HYBRID.RRF_K);
  const rows = rowsOf<Row>(
    await db.execute(sql`
      with words as (select id, row_number() over (order by score desc, id desc) as rank from (${words}) w),
      near as materialized (
        select memory_id as id, embedding <=> ${vector} as distance from ${table}
        where channel_id = ${channel} and model = ${query.model}
        order by embedding <=> ${vector} limit ${literal(HYBRID.POOL)}),
      meaning as (select id, distance, row_number() over (order by distance, id) as rank from near),
      ranked as (
        select memories.id, kind, content, author, importance, access_count, created_at, last_accessed_at, conversation_id,
          (coalesce(1.0 / (${k} + words.rank), 0) + coalesce(1.0 / (${k} + meaning.rank), 0)) * (${literal(VALUE_BASE)} + ${valueSql()}) as score
        from memories
        left join words on words.id = memories.id
        left join meaning on meaning.id = memories.id
        left join ${table} e on e.memory_id = memories.id and e.model = ${query.model}
        where memories.id in (select id from words union select id from near)
          and memories.channel_id = ${channel} and ${eligible}
          and ((1 - meaning.distance) >= ${query.minSimilarity}::float8
            or (words.id is not null and (e.memory_id is null or 1 - (e.embedding <=> ${vector}) >= ${HYBRID.WORD_MATCH_MIN_SIMILARITY}::float8)))
        order by score desc, memories.id desc
        limit ${values.limit}::int),
      touched as (
        update memories set access_count = access_count + 1, last_accessed_at = now()
        where id in (select id from memories where id in (select id from ranked) order by id for update skip locked)
        returning id)
      select ranked.id, kind, content, author, importance, created_at, conversation_id,
        access_count + (touched.id is not null)::int as access_count,
        case when touched.id is not null then now() else last_accessed_at end as last_accessed_at
      from ranked left join touched on touched.id = ranked.id
      order by score desc, ranked.id desc`),
  );
  return rows.map((row) =>
    toRecord({
      id: row.id,
      kind: row.kind,
      content: row.content,
      author: row.author,
      importance: row.importance,
      accessCount: row.access_count,
      createdAt: row.created_at,
      lastAccessedAt: row.last_accessed_at,
      conversationId: row.conversation_id,
    }),
  );
}
