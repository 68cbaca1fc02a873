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

/** A memory row as a driver may return it: numbers as strings, and in a raw statement's rows, times as strings. */
export type DriverRecord = Omit<MemoryRecord, "id" | "importance" | "accessCount" | "createdAt" | "lastAccessedAt"> & {
  id: number | string;
  importance: number | string;
  accessCount: number | string;
  createdAt: Date | string;
  lastAccessedAt: Date | string;
};

/** A row as the driver returned it: numbers may come back as strings, float4 with noise. */
export function toRecord(row: DriverRecord): MemoryRecord {
  return {
    id: Number(row.id),
    kind: row.kind,
    content: row.content,
    author: row.author,
    // A real column: round off float4 noise (0.699999988 -> 0.7).
    importance: Math.round(Number(row.importance) * 1e6) / 1e6,
    accessCount: Number(row.accessCount),
    createdAt: new Date(row.createdAt),
    lastAccessedAt: new Date(row.lastAccessedAt),
    conversationId: row.conversationId,
  };
}
