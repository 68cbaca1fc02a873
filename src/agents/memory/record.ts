import { type SQL, sql } from "drizzle-orm";
import { memories, memoryKinds } from "../../db/schema.js";
import type { MemoryKind, MemoryRecord } from "./types.js";

/** The columns a memory is handed out with. */
export const recordColumns = {
  id: memories.id,
  kind: memories.kind,
  content: memories.content,
  author: memories.author,
  importance: memories.importance,
  accessCount: memories.accessCount,
  createdAt: memories.createdAt,
  lastAccessedAt: memories.lastAccessedAt,
  conversationId: memories.conversationId,
};

/** A constant of the query's shape, inlined so that the planner can fold it (never user input). */
export const literal = (value: number): SQL => sql.raw(String(Math.trunc(value)));

export function checkKind(kind: MemoryKind): MemoryKind {
  if (!(memoryKinds as readonly string[]).includes(kind)) throw new Error(`Unknown memory kind: ${String(kind)}`);
  return kind;
}

/** 0 (or less) means "none"; NaN or absent means the default. */
export function clampLimit(value: number | undefined, fallback: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(0, Math.floor(value)));
}

/** A row as the driver returned it: numbers may come back as strings, float4 with noise. */
export function toRecord(row: MemoryRecord): MemoryRecord {
  return {
    id: Number(row.id),
    kind: row.kind,
    content: row.content,
    author: row.author,
    // A real column: round off float4 noise (0.699999988 -> 0.7).
    importance: Math.round(Number(row.importance) * 1e6) / 1e6,
    accessCount: Number(row.accessCount),
    createdAt: row.createdAt,
    lastAccessedAt: row.lastAccessedAt,
    conversationId: row.conversationId,
  };
}
