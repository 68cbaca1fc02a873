import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { isUniqueViolation } from "../../db/errors.js";
import { rowsOf } from "../../db/rows.js";
import { literal } from "./record.js";

/**
 * The memories' embeddings live in a table of their own, made at start rather than by a
 * migration: the `vector` type exists only where the pgvector extension does (PGlite always;
 * Postgres when installed), and its dimension is the embedding model's, known from its first
 * answer. One row per memory, with the model that made it: a memory whose row is missing or of
 * another model is embedded (again) by the backfill; recall reads the current model's rows only.
 */
export const VECTOR_TABLE = "memory_embeddings";

/** Creates the extension if it can; false when this database has no pgvector. */
export async function enableVectors(db: Db): Promise<boolean> {
  try {
    await db.execute(sql`create extension if not exists vector`);
  } catch {
    return false;
  }
  // pgvector ≥ 0.8: an HNSW scan filtered by channel keeps looking until it has enough rows.
  // A setting of the database, for every later connection; where the role may not, sessions keep the default.
  await db.execute(sql`select set_config('hnsw.iterative_scan', 'relaxed_order', false)`).catch(() => undefined);
  await db
    .execute(sql`do $$ begin execute format('alter database %I set hnsw.iterative_scan = relaxed_order', current_database()); end $$`)
    .catch(() => undefined);
  return true;
}

/** The dimension of the table's vectors, or null when the table does not exist yet. */
export async function tableDimension(db: Db): Promise<number | null> {
  const [row] = rowsOf<{ type: string | null }>(
    await db.execute(
      sql`select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = to_regclass(${VECTOR_TABLE}) and attname = 'embedding'`,
    ),
  );
  const dimension = /^vector\((\d+)\)$/.exec(row?.type ?? "")?.[1];
  return dimension ? Number(dimension) : null;
}

/**
 * Makes the table for vectors of `dimension`. A table of another dimension held another model's
 * vectors, which recall no longer reads: it is replaced, and the backfill embeds every memory again.
 */
export async function ensureTable(db: Db, dimension: number): Promise<void> {
  await db.transaction(async (tx) => {
    // One process at a time makes or replaces it.
    await tx.execute(sql`select pg_advisory_xact_lock(7246170002)`);
    const current = await tableDimension(tx as unknown as Db);
    if (current === dimension) return;
    if (current !== null) await tx.execute(sql.raw(`drop table ${VECTOR_TABLE}`));
    await tx.execute(
      sql.raw(`create table ${VECTOR_TABLE} (
        memory_id bigint primary key references memories(id) on delete cascade,
        channel_id text not null,
        model text not null,
        embedding vector(${Math.trunc(dimension)}) not null)`),
    );
    await tx.execute(sql.raw(`create index ${VECTOR_TABLE}_hnsw on ${VECTOR_TABLE} using hnsw (embedding vector_cosine_ops)`));
    await tx.execute(sql.raw(`create index ${VECTOR_TABLE}_channel on ${VECTOR_TABLE} (channel_id, model)`));
  });
}

/** Whether some memory has a vector of `model`. */
export async function hasVectorsOf(db: Db, model: string): Promise<boolean> {
  const rows = rowsOf(await db.execute(sql`select 1 from ${sql.raw(VECTOR_TABLE)} where model = ${model} limit 1`));
  return rows.length > 0;
}

/** pgvector's text form of a vector. */
export const vectorText = (vector: readonly number[]): string => `[${vector.join(",")}]`;

export interface Unembedded {
  id: number;
  content: string;
}

/**
 * The next live memories after `after` (by id) without a vector of `model`: the backfill's
 * cursor lives in the table itself, so a restart resumes where the work stopped.
 */
export async function unembedded(db: Db, model: string, after: number, limit: number, tableExists: boolean): Promise<Unembedded[]> {
  const missing = tableExists
    ? sql`and not exists (select 1 from ${sql.raw(VECTOR_TABLE)} e where e.memory_id = m.id and e.model = ${model})`
    : sql``;
  const rows = rowsOf<{ id: number | string; content: string }>(
    await db.execute(
      sql`select m.id, m.content from memories m where m.id > ${after} and m.forgotten_at is null ${missing} order by m.id limit ${literal(limit)}`,
    ),
  );
  return rows.map((row) => ({ id: Number(row.id), content: row.content }));
}

/** The content of the live memories among `ids`. */
export async function liveContents(db: Db, ids: number[]): Promise<Unembedded[]> {
  if (ids.length === 0) return [];
  const list = sql.join(
    ids.map((id) => sql`${id}::bigint`),
    sql`, `,
  );
  const rows = rowsOf<{ id: number | string; content: string }>(
    await db.execute(sql`select id, content from memories where id in (${list}) and forgotten_at is null order by id`),
  );
  return rows.map((row) => ({ id: Number(row.id), content: row.content }));
}

/**
 * Stores the vectors of memories (those still there), replacing any of another model. Then each
 * new memory that says the same as an older one of its channel, kind and thread (cosine
 * similarity at least `duplicateSimilarity`) is folded into it: the older memory takes the new
 * wording, author and vector and rises in importance like a repeated fact; the twin goes.
 * Returns how many twins were folded.
 */
export async function storeVectors(
  db: Db,
  model: string,
  vectors: { id: number; vector: readonly number[] }[],
  duplicateSimilarity: number,
  repeatBump: number,
): Promise<number> {
  if (vectors.length === 0) return 0;
  const values = sql.join(
    vectors.map(({ id, vector }) => sql`(${id}::bigint, ${vectorText(vector)}::vector)`),
    sql`, `,
  );
  const table = sql.raw(VECTOR_TABLE);
  await db.execute(sql`
    insert into ${table} (memory_id, channel_id, model, embedding)
    select m.id, m.channel_id, ${model}, v.embedding from (values ${values}) v(id, embedding) join memories m on m.id = v.id
    on conflict (memory_id) do update set model = excluded.model, embedding = excluded.embedding`);
  let folded = 0;
  for (const { id } of vectors) {
    const [twin] = rowsOf<{ older: number | string }>(
      await db.execute(sql`
        select o.id as older from memories n
        join ${table} ne on ne.memory_id = n.id and ne.model = ${model}
        cross join lateral (
          select e.memory_id as id from ${table} e
          where e.channel_id = n.channel_id and e.model = ${model} and e.memory_id <> n.id
          order by e.embedding <=> ne.embedding limit 8) near
        join memories o on o.id = near.id
        join ${table} oe on oe.memory_id = o.id
        where n.id = ${id} and n.forgotten_at is null and o.forgotten_at is null and o.id < n.id
          and o.kind = n.kind and coalesce(o.conversation_id, '') = coalesce(n.conversation_id, '')
          and 1 - (oe.embedding <=> ne.embedding) >= ${duplicateSimilarity}
        order by oe.embedding <=> ne.embedding limit 1`),
    );
    if (!twin) continue;
    folded += await foldTwin(db, Number(twin.older), id, repeatBump);
  }
  return folded;
}

/** The newer memory's wording goes to the older one, which it replaces; 0 when either went meanwhile. */
async function foldTwin(db: Db, older: number, newer: number, repeatBump: number): Promise<number> {
  return db
    .transaction(async (tx) => {
      const [gone] = rowsOf<{ content: string; author: string | null; importance: number; embedding: string }>(
        await tx.execute(sql`
        with v as (select embedding from ${sql.raw(VECTOR_TABLE)} where memory_id = ${newer})
        delete from memories where id = ${newer} returning content, author, importance, (select embedding::text from v) as embedding`),
      );
      if (!gone) return 0;
      const updated = rowsOf(
        await tx.execute(sql`
        update memories set content = ${gone.content}, author = coalesce(${gone.author}, author),
          importance = least(1, greatest(importance, ${gone.importance}::real) + ${repeatBump}::real),
          access_count = access_count + 1, last_accessed_at = now()
        where id = ${older} and forgotten_at is null returning id`),
      );
      if (updated.length === 0) throw new FoldRaced();
      await tx.execute(sql`update ${sql.raw(VECTOR_TABLE)} set embedding = ${gone.embedding}::vector where memory_id = ${older}`);
      return 1;
    })
    .catch((error: unknown) => {
      // The older one was forgotten meanwhile (or took the same wording): keep both, as stored.
      if (error instanceof FoldRaced || isUniqueViolation(error)) return 0;
      throw error;
    });
}

class FoldRaced extends Error {}
