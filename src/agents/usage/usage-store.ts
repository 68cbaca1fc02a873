import { and, eq, gte, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { rowsOf } from "../../db/rows.js";
import { channelUsageDays, llmUsage, projects } from "../../db/schema.js";
import type { Tokens } from "./prices.js";
import type { UsageCall, UsageScope } from "./usage-scope.js";

/** Today in UTC, as Postgres computes it: every process agrees on when a day ends. */
const today = sql`(now() at time zone 'utc')::date`;

/**
 * A reservation whose turn has not settled by then is taken to be dead (its process stopped):
 * longer than any turn, whose model calls each have LLM_TIMEOUT_MS and whose steps are bounded.
 */
const RESERVATION_LAPSES = sql`interval '15 minutes'`;

/** What a recorded call was spent on. */
export type RecordScope = Omit<UsageScope, "reservation" | "held">;

/**
 * Common table expressions (for a WITH, named `usage_rows` and `usage_days`) that store `calls`
 * with their scope and add their tokens to the channel's day, giving back what the calls used of
 * their turn's reservation: a statement of their own, or part of the one that records a step's
 * outcome (a chat turn's reply, a project step's). Postgres runs them whether or not the rest of
 * the statement reads them; one parameter for every call keeps the statement's shape.
 */
export function usageWrites(scope: RecordScope, calls: readonly UsageCall[]): SQL {
  const rows = calls.map((call) => ({ model: call.model, prompt: call.promptTokens, completion: call.completionTokens }));
  const release = calls.reduce((sum, call) => sum + (call.release ?? 0), 0);
  return sql`usage_rows as (
        insert into ${llmUsage} (channel_id, message_id, project_id, task_key, model, prompt_tokens, completion_tokens)
        select coalesce(${scope.channelId ?? null}, (select channel_id from ${projects} where id = ${scope.projectId ?? null})),
               ${scope.messageId ?? null}, ${scope.projectId ?? null}, ${scope.taskKey ?? null}, c.model, c.prompt, c.completion
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as c(model text, prompt int, completion int)
        returning channel_id, prompt_tokens + completion_tokens as n),
      usage_days as (
        insert into ${channelUsageDays} as d (channel_id, day, tokens)
        select channel_id, ${today}, sum(n) from usage_rows group by channel_id
        on conflict (channel_id, day) do update set
          tokens = d.tokens + excluded.tokens,
          reserved = greatest(d.reserved - ${release}::bigint, 0))`;
}

/** The tokens each model call spent and what spent them, and each channel's day against its budget. */
export class UsageStore {
  constructor(private readonly db: Db) {}

  /**
   * Stores a call's tokens and adds them to its channel's day in one statement, giving back
   * `release` tokens of the turn's reservation: what the call used of it is now counted as spent.
   */
  async record(scope: RecordScope, model: string, tokens: Tokens, release = 0): Promise<void> {
    await this.recordAll(scope, [{ model, ...tokens, release }]);
  }

  /** Stores calls of one scope as `record` does each, in one statement. */
  async recordAll(scope: RecordScope, calls: readonly UsageCall[]): Promise<void> {
    if (calls.length === 0) return;
    await this.db.execute(sql`with ${usageWrites(scope, calls)} select 1`);
  }

  /**
   * Holds `tokens` of the channel's day for a turn, if what calls spent, what other turns in
   * flight hold and these fit in `budget`. One conditional upsert on the channel's row for the day:
   * of two turns in any processes that would each fit but not both, one gets it.
   */
  async reserve(channelId: string, tokens: number, budget: number): Promise<boolean> {
    const held = sql`(case when d.reserved_until > now() then d.reserved else 0 end)`;
    const result = await this.db.execute(sql`
      insert into ${channelUsageDays} as d (channel_id, day, reserved, reserved_until)
      select ${channelId}, ${today}, ${tokens}::bigint, now() + ${RESERVATION_LAPSES}
      where ${tokens}::bigint <= ${budget}::bigint
      on conflict (channel_id, day) do update set
        reserved = ${held} + excluded.reserved,
        reserved_until = excluded.reserved_until
      where d.tokens + ${held} + excluded.reserved <= ${budget}::bigint
      returning 1 as admitted`);
    return rowsOf(result).length > 0;
  }

  /** Gives back what a settled turn held and did not spend. */
  async release(channelId: string, tokens: number): Promise<void> {
    if (tokens <= 0) return;
    await this.db
      .update(channelUsageDays)
      .set({ reserved: sql`greatest(${channelUsageDays.reserved} - ${tokens}::bigint, 0)` })
      .where(and(eq(channelUsageDays.channelId, channelId), eq(channelUsageDays.day, today)));
  }

  /** The tokens the channel spent today, as its day's row counts them for budgets (`reserve`). */
  async spentToday(channelId: string): Promise<number> {
    const [row] = await this.db
      .select({ tokens: channelUsageDays.tokens })
      .from(channelUsageDays)
      .where(and(eq(channelUsageDays.channelId, channelId), eq(channelUsageDays.day, today)));
    return Number(row?.tokens ?? 0);
  }

  /** The channel's tokens per model since the start of the UTC day `days - 1` days ago. */
  async channel(channelId: string, days = 1): Promise<({ model: string } & Tokens)[]> {
    const since = sql`(date_trunc('day', now() at time zone 'utc') - ${days - 1}::int * interval '1 day') at time zone 'utc'`;
    return this.#byModel(and(eq(llmUsage.channelId, channelId), gte(llmUsage.createdAt, since)));
  }

  /** Everything a project's steps spent, per model. */
  project(projectId: string): Promise<({ model: string } & Tokens)[]> {
    return this.#byModel(eq(llmUsage.projectId, projectId));
  }

  #byModel(where: ReturnType<typeof and>) {
    return this.db
      .select({
        model: llmUsage.model,
        promptTokens: sql<number>`coalesce(sum(${llmUsage.promptTokens}), 0)`.mapWith(Number),
        completionTokens: sql<number>`coalesce(sum(${llmUsage.completionTokens}), 0)`.mapWith(Number),
      })
      .from(llmUsage)
      .where(where)
      .groupBy(llmUsage.model)
      .orderBy(llmUsage.model);
  }
}
