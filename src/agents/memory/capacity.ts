import { and, desc, inArray, isNull, notInArray, sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { memories } from "../../db/schema.js";
import { literal, recordColumns } from "./record.js";
import { valueSql } from "./scoring.js";
import type { MemoryKind } from "./types.js";

/**
 * What people taught: a fact, a preference, a procedure. The bot's own records of turns
 * (episodic) and a thread's notes (working) are bookkeeping, forgotten first when a channel is full.
 */
export const TAUGHT_KINDS: readonly MemoryKind[] = ["semantic", "procedural"];

/** How long a forgotten taught fact stays restorable; older ones are purged by the channel's next write. */
export const RESTORABLE_DAYS = 30;

export const isTaught = (kind: MemoryKind): boolean => TAUGHT_KINDS.includes(kind);

/** SQL: when a fact forgotten now stops being restorable, counted back from now. */
const restorableSince = () => sql`now() - make_interval(days => ${literal(RESTORABLE_DAYS)})`;

/** SQL: the row is a forgotten fact still within its restorable window. */
export const restorableSql = () => and(sql`${memories.forgottenAt} is not null`, sql`${memories.forgottenAt} > ${restorableSince()}`);

/** A taught fact that a write forced out of a full channel. */
export interface DisplacedFact {
  id: number;
  kind: MemoryKind;
  content: string;
}

/** A memory to store, as `insertWithinCapacity`'s statement binds it. */
export type NewMemory = {
  channelId: string;
  kind: MemoryKind;
  content: string;
  author: string | null;
  importance: number;
  conversationId: string | null;
};

/**
 * One statement: stores the memory unless it is a duplicate and, when it did and the channel was
 * full, makes room among its older memories (the new one is always kept). Records of turns go
 * first; a taught fact goes only for a new taught fact, and then it is marked forgotten (restorable
 * for RESTORABLE_DAYS) and returned as `displaced`, so that the thread can be told. A record of a
 * turn never displaces a fact: a channel full of facts keeps at most one record beyond capacity.
 * The channel's forgotten facts past their window are purged on the way.
 *
 * The memory's values are placeholders named after NewMemory's fields: the statement is built
 * (and prepared, see MemoryStore) once per shape, `taught` being whether the memory is a taught fact.
 */
export function insertWithinCapacity(db: Db, taught: boolean, capacity: number) {
  const value = (name: keyof NewMemory) => sql.placeholder(name);
  const channelId = sql`${value("channelId")}::text`;
  const channel = sql`${memories.channelId} = ${channelId}`;
  const row = {
    channelId: value("channelId"),
    kind: value("kind"),
    content: value("content"),
    author: value("author"),
    importance: value("importance"),
    conversationId: value("conversationId"),
  } as unknown as typeof memories.$inferInsert;
  const inserted = db.$with("inserted").as(db.insert(memories).values(row).onConflictDoNothing().returning(recordColumns));
  // The statement's snapshot holds the older memories only: room is made for the new one.
  const surplus = db.$with("surplus").as(
    db
      .select({ id: memories.id, kind: memories.kind })
      .from(memories)
      .where(
        and(
          channel,
          isNull(memories.forgottenAt),
          sql`exists (select 1 from ${inserted})`,
          // Ranks the channel only when it is full: counting to capacity is cheap, valuing every row is not.
          sql`exists (select 1 from memories kept where kept.channel_id = ${channelId} and kept.forgotten_at is null offset ${literal(capacity - 1)})`,
        ),
      )
      .orderBy(desc(inArray(memories.kind, [...TAUGHT_KINDS])), desc(valueSql()), desc(memories.id))
      .offset(capacity - 1),
  );
  const dropped = db.$with("dropped").as(
    db
      .delete(memories)
      .where(
        and(
          channel,
          inArray(
            memories.id,
            db
              .select({ id: surplus.id })
              .from(surplus)
              .where(notInArray(surplus.kind, [...TAUGHT_KINDS])),
          ),
        ),
      )
      .returning({ id: memories.id }),
  );
  const displaced = db.$with("displaced").as(
    db
      .update(memories)
      .set({ forgottenAt: sql`now()` })
      .where(
        and(
          channel,
          taught ? inArray(memories.id, db.select({ id: surplus.id }).from(surplus)) : sql`false`,
          inArray(memories.kind, [...TAUGHT_KINDS]),
        ),
      )
      .returning({ id: memories.id, kind: memories.kind, content: memories.content }),
  );
  const purged = db.$with("purged").as(
    db
      .delete(memories)
      .where(and(channel, sql`${memories.forgottenAt} <= ${restorableSince()}`))
      .returning({ id: memories.id }),
  );
  // Data-modifying CTEs run to completion whether or not the result reads them.
  return db
    .with(inserted, surplus, dropped, displaced, purged)
    .select({
      ...inserted._.selectedFields,
      displaced: sql<
        DisplacedFact[]
      >`(select coalesce(json_agg(json_build_object('id', d.id, 'kind', d.kind, 'content', d.content) order by d.id), '[]'::json) from ${displaced} d)`.mapWith(
        parseDisplaced,
      ),
    })
    .from(inserted);
}

/** The one sentence a thread is told when its turn displaced facts; "" when it displaced none. */
export function displacedNote(displaced: readonly DisplacedFact[]): string {
  if (displaced.length === 0) return "";
  const ids = displaced.map((fact) => `#${fact.id}`).join(", ");
  const what = displaced.length === 1 ? `an older fact (${ids})` : `${displaced.length} older facts (${ids})`;
  return `_My memory of this channel is full, so I forgot ${what} to keep this one; \`/memory restore ID\` brings it back within ${RESTORABLE_DAYS} days._`;
}

function parseDisplaced(value: unknown): DisplacedFact[] {
  const list = typeof value === "string" ? (JSON.parse(value) as unknown) : value;
  if (!Array.isArray(list)) return [];
  return list.map((item: { id: number | string; kind: MemoryKind; content: string }) => ({
    id: Number(item.id),
    kind: item.kind,
    content: item.content,
  }));
}
