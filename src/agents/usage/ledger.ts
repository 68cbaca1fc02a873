import type { SQL } from "drizzle-orm";
import type { Logger } from "pino";
import type { LlmClient } from "../llm/types.js";
import { type Prices, priced, type UsageTotals } from "./prices.js";
import { currentUsageScope, type Reservation, type UsageCall, type UsageScope, withUsageScope } from "./usage-scope.js";
import { type RecordScope, type UsageStore, usageWrites } from "./usage-store.js";

export interface UsageSettings {
  /** `LLM_PRICES`. */
  prices: Prices;
  /** `CHANNEL_DAILY_TOKENS`; absent: no budget. */
  dailyTokens?: number;
}

/** What a turn's model calls are held to before it starts: admitted (with what it holds), or over the budget. */
export type Admission = { admitted: true; reservation?: Reservation } | { admitted: false };

/** The sentence a turn answers with when its channel's budget for the day is spent. */
export const BUDGET_SPENT =
  "This channel has used its token budget for today (CHANNEL_DAILY_TOKENS), so I cannot ask the model now. The budget starts again at 00:00 UTC.";

/**
 * Model usage: each call's tokens recorded with what spent them (see usage-scope.ts), costs from
 * LLM_PRICES, and CHANNEL_DAILY_TOKENS held before a turn calls the model.
 */
export class UsageLedger {
  constructor(
    private readonly store: UsageStore,
    readonly settings: UsageSettings,
    private readonly log: Logger,
  ) {}

  /** `llm`, holding each call's reported tokens in the usage scope it runs in, for its step to record. */
  meter(llm: LlmClient): LlmClient {
    const record = (scope: UsageScope, model: string, promptTokens: number, completionTokens: number) => {
      // What the call used of its turn's reservation now counts as spent instead.
      const release = scope.reservation ? Math.min(promptTokens + completionTokens, scope.reservation.left) : 0;
      if (scope.reservation) scope.reservation.left -= release;
      scope.held.push({ model, promptTokens, completionTokens, release });
    };
    return {
      get model() {
        return llm.model;
      },
      async complete(request) {
        const scope = currentUsageScope();
        const result = await llm.complete(request);
        // Outside a scope nothing says which channel pays; every caller of the model runs in one.
        if (scope && result.usage) record(scope, request.model ?? llm.model, result.usage.promptTokens, result.usage.completionTokens);
        return result;
      },
    };
  }

  /**
   * Holds `estimate` tokens of the channel's day for a turn about to call the model, if they fit
   * in CHANNEL_DAILY_TOKENS with what was spent and what other turns in flight (in any process) hold.
   */
  async admit(channelId: string, estimate: number): Promise<Admission> {
    const budget = this.settings.dailyTokens;
    if (budget === undefined) return { admitted: true };
    if (!(await this.store.reserve(channelId, estimate, budget))) return { admitted: false };
    return { admitted: true, reservation: { left: estimate } };
  }

  /**
   * A chat turn's calls not written yet, as CTEs for the statement that stores its reply (see
   * ConversationStore.addMessage), and `written()` to call once that statement is done; undefined
   * when there are none.
   */
  pending(scope: UsageScope): { sql: SQL; written(): void } | undefined {
    const calls = scope.held.slice();
    if (!calls.length) return undefined;
    return { sql: usageWrites(scope, calls), written: () => void scope.held.splice(0, calls.length) };
  }

  /** Once a scope's calls are done: writes those still held, then gives back what its turn held and did not use. */
  async settle(scope: UsageScope): Promise<void> {
    await this.recordHeld(scope, scope.held.splice(0));
    const left = scope.reservation?.left ?? 0;
    if (scope.reservation) scope.reservation.left = 0;
    if (scope.channelId !== undefined) await this.store.release(scope.channelId, left);
  }

  /**
   * Runs `work` with its calls held back rather than recorded, and returns them with its result,
   * for the statement that records the step's outcome to record them too (`usageWrites`): no
   * round trip of their own, and whoever sees the outcome sees them. Should `work` fail, they are
   * recorded before its error is thrown.
   */
  async hold<T>(scope: RecordScope, work: () => Promise<T>): Promise<{ value: T; calls: UsageCall[] }> {
    return withUsageScope(scope, ({ held }) => this.within(scope, held, async () => ({ value: await work(), calls: held })));
  }

  /**
   * Runs `statement`, which records the `calls` that `hold` gave back with the step's outcome;
   * should it fail, they are recorded on their own before its error is thrown.
   */
  async within<R>(scope: RecordScope, calls: UsageCall[], statement: () => Promise<R>): Promise<R> {
    try {
      return await statement();
    } catch (error) {
      await this.recordHeld(scope, calls);
      throw error;
    }
  }

  /** Records calls that `hold` gave back where no statement of the step records them; returns once they are. */
  async recordHeld(scope: RecordScope, calls: UsageCall[]): Promise<void> {
    await this.store.recordAll(scope, calls).catch((error: unknown) => {
      this.log.warn({ err: error, channel: scope.channelId, projectId: scope.projectId }, "model usage not recorded");
    });
  }

  /** The channel spent its whole budget today: nothing new (a project) should start. */
  async spent(channelId: string): Promise<boolean> {
    const budget = this.settings.dailyTokens;
    if (budget === undefined) return false;
    return (await this.store.spentToday(channelId)) >= budget;
  }

  async channel(channelId: string, days = 1): Promise<UsageTotals> {
    return priced(await this.store.channel(channelId, days), this.settings.prices);
  }

  async project(projectId: string): Promise<UsageTotals> {
    return priced(await this.store.project(projectId), this.settings.prices);
  }
}
