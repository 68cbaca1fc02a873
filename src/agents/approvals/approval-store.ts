import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import type { ApprovalPrompt } from "../../core/poster.js";
import { parseStorableJson } from "../../core/storable-text.js";
import type { Author, Platform, ThreadRef } from "../../core/thread.js";
import type { Db } from "../../db/client.js";
import { type ApprovalState, toolApprovals } from "../../db/schema.js";
import type { PausedTask, PausedWork } from "../assistant/paused-turn.js";

/** How long a call waits for a person before it counts as denied. */
export const APPROVAL_TTL_MS = 15 * 60_000;

export type ApprovalRow = Omit<typeof toolApprovals.$inferSelect, "turn" | "platform"> & { platform: Platform; turn: PausedWork };
/** An approval a project's task waits on. */
export type TaskApprovalRow = ApprovalRow & { turn: PausedTask };

export interface NewApproval {
  channelId: string;
  /** The paused turn's conversation; null for a project's task. */
  conversationId: string | null;
  to: ThreadRef;
  asker: Author;
  tool: string;
  args: unknown;
  turn: PausedWork;
}

/** A decision that took: the row as it now is. */
export type Decided = { decided: true; row: ApprovalRow };
/** Why a decision did not take. */
export type NotDecided = { decided: false; reason: "unknown" | "expired" | "taken"; row?: ApprovalRow };

/** Pending approvals and the paused turns behind them, in Postgres: they outlive any process. */
export class ApprovalStore {
  constructor(private readonly db: Db) {}

  async create(approval: NewApproval, ttlMs = APPROVAL_TTL_MS): Promise<ApprovalRow> {
    const [row] = await this.db
      .insert(toolApprovals)
      .values({
        id: randomUUID(),
        channelId: approval.channelId,
        conversationId: approval.conversationId,
        platform: approval.to.platform,
        channel: approval.to.channel,
        thread: approval.to.thread,
        askerId: approval.asker.id,
        askerName: approval.asker.name ?? approval.asker.id,
        tool: approval.tool,
        // What the model wrote can hold U+0000, which jsonb cannot.
        arguments: storable(approval.args),
        turn: storable(approval.turn),
        expiresAt: new Date(Date.now() + ttlMs),
      })
      .returning();
    return row as ApprovalRow;
  }

  async get(platform: Platform, id: string): Promise<ApprovalRow | undefined> {
    const [row] = await this.db
      .select()
      .from(toolApprovals)
      .where(and(eq(toolApprovals.id, id), eq(toolApprovals.platform, platform)));
    return row as ApprovalRow | undefined;
  }

  /** The thread's calls still waiting for a person (not past their time), oldest first. */
  async pendingInThread(platform: Platform, thread: string): Promise<ApprovalRow[]> {
    return (await this.db
      .select()
      .from(toolApprovals)
      .where(
        and(
          eq(toolApprovals.platform, platform),
          eq(toolApprovals.thread, thread),
          eq(toolApprovals.state, "pending"),
          sql`${toolApprovals.expiresAt} > now()`,
        ),
      )
      .orderBy(toolApprovals.createdAt)) as ApprovalRow[];
  }

  async setPromptMessage(id: string, messageId: string): Promise<void> {
    await this.db.update(toolApprovals).set({ promptMessageId: messageId }).where(eq(toolApprovals.id, id));
  }

  /**
   * Records a person's decision if the approval still waits, claiming its turn for this process in
   * the same statement: of two clicks, one decides.
   */
  async decide(row: ApprovalRow, approve: boolean, by: string): Promise<Decided | NotDecided> {
    const [decided] = await this.db
      .update(toolApprovals)
      .set({ state: approve ? "approved" : "denied", decidedBy: by, decidedAt: sql`now()`, claimedAt: sql`now()` })
      .where(and(eq(toolApprovals.id, row.id), eq(toolApprovals.state, "pending"), sql`${toolApprovals.expiresAt} > now()`))
      .returning();
    if (decided) return { decided: true, row: decided as ApprovalRow };
    const now = await this.get(row.platform, row.id);
    if (!now) return { decided: false, reason: "unknown" };
    return { decided: false, reason: now.state === "pending" || now.state === "expired" ? "expired" : "taken", row: now };
  }

  /** Pending approvals past their time become expired, claimed by this process to go on as denied. */
  async expireDue(platforms: readonly Platform[]): Promise<ApprovalRow[]> {
    return (await this.db
      .update(toolApprovals)
      .set({ state: "expired", decidedAt: sql`now()`, claimedAt: sql`now()` })
      .where(and(eq(toolApprovals.state, "pending"), sql`${toolApprovals.expiresAt} <= now()`, inPlatforms(platforms)))
      .returning()) as ApprovalRow[];
  }

  /** Decided approvals whose turn did not go on (its process died or was stopping), claimed by this process. */
  async claimOrphans(platforms: readonly Platform[], staleMs: number): Promise<ApprovalRow[]> {
    return (await this.db
      .update(toolApprovals)
      .set({ claimedAt: sql`now()` })
      .where(
        and(
          sql`${toolApprovals.state} <> 'pending'`,
          eq(toolApprovals.resumed, false),
          sql`(${toolApprovals.claimedAt} is null or ${toolApprovals.claimedAt} < now() - ${staleMs} * interval '1 millisecond')`,
          inPlatforms(platforms),
        ),
      )
      .returning()) as ApprovalRow[];
  }

  /** The turn behind `id` is still going on here. */
  async renewClaim(id: string): Promise<void> {
    await this.db.update(toolApprovals).set({ claimedAt: sql`now()` }).where(eq(toolApprovals.id, id));
  }

  /** The turn went on past this decision: answered, or stopped at its next approval. */
  async markResumed(id: string): Promise<void> {
    await this.db.update(toolApprovals).set({ resumed: true }).where(eq(toolApprovals.id, id));
  }

  /** Withdraws an approval nobody was asked yet (what it would pause has ended meanwhile). */
  async discard(id: string): Promise<void> {
    await this.db.delete(toolApprovals).where(and(eq(toolApprovals.id, id), eq(toolApprovals.state, "pending")));
  }

  /** Gives a claimed turn back, so the next sweep (of any process) goes on with it. */
  async release(id: string): Promise<void> {
    await this.db.update(toolApprovals).set({ claimedAt: null }).where(eq(toolApprovals.id, id));
  }
}

function storable<T>(value: T): T {
  return parseStorableJson(JSON.stringify(value)) as T;
}

export function isTaskApproval(row: ApprovalRow): row is TaskApprovalRow {
  return row.turn.kind === "task";
}

/** The approval as a thread shows it. */
export function promptOf(row: ApprovalRow): ApprovalPrompt {
  return { id: row.id, tool: row.tool, args: row.arguments, asker: { id: row.askerId, name: row.askerName }, expiresAt: row.expiresAt };
}

/** What became of a decided approval, as a thread shows it. */
export function outcomeOf(row: ApprovalRow): { state: Exclude<ApprovalState, "pending">; by?: string; at: Date } {
  const state = row.state === "pending" ? "expired" : row.state;
  return { state, ...(row.decidedBy ? { by: row.decidedBy } : {}), at: row.decidedAt ?? new Date() };
}

function inPlatforms(platforms: readonly Platform[]) {
  return sql`${toolApprovals.platform} in (${sql.join(
    platforms.map((p) => sql`${p}`),
    sql`, `,
  )})`;
}
