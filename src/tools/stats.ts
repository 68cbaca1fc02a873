import { sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { toolCalls } from "../db/schema.js";

export interface ToolStats {
  calls: number;
  successRate: number;
  meanMs: number;
  p95Ms: number;
  lastUsed: Date;
}

/** Per-tool statistics from the audit table. */
export async function toolStats(db: Db): Promise<Map<string, ToolStats>> {
  const rows = await db
    .select({
      name: toolCalls.toolName,
      calls: sql<number>`count(*)::int`,
      successRate: sql<number>`avg(case when ${toolCalls.ok} then 1.0 else 0.0 end)::float8`,
      meanMs: sql<number>`avg(${toolCalls.durationMs})::float8`,
      p95Ms: sql<number>`percentile_cont(0.95) within group (order by ${toolCalls.durationMs})::float8`,
      lastUsed: sql<Date>`max(${toolCalls.createdAt})`.mapWith((value) => new Date(value)),
    })
    .from(toolCalls)
    .groupBy(toolCalls.toolName);
  return new Map(rows.map(({ name, ...stats }) => [name, stats]));
}

export function formatStats(stats: ToolStats | undefined): string {
  if (!stats) return "not used yet";
  return `${stats.calls} calls, ${Math.round(stats.successRate * 100)}% succeeded, mean ${Math.round(stats.meanMs)} ms, p95 ${Math.round(stats.p95Ms)} ms, last used ${stats.lastUsed.toISOString()}`;
}
