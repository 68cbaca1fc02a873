import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What a model call is spent on. Set around a chat turn or a project's job, so every call made
 * inside it (the reasoning loop, the coordinator, a specialist, a summary) is recorded against it
 * without each caller passing it along.
 */
export interface UsageScope {
  /** Absent for a project's calls: the project's row says whose channel it is. */
  channelId?: string;
  /** A chat turn: the id its reply is stored under. */
  messageId?: string;
  projectId?: string;
  /** A project's task; absent for its plan and its other steps. */
  taskKey?: string;
  /** The turn's reservation under CHANNEL_DAILY_TOKENS; each recorded call gives back what it used of it. */
  reservation?: Reservation;
  /**
   * The scope's calls, held rather than written one by one, for the statement that records the
   * step's outcome to write them too (a chat turn's reply, a project step's; see usageWrites): no
   * round trip of their own, and whoever sees the outcome sees them.
   */
  held: UsageCall[];
}

/** A model call not recorded yet: its tokens, and what it used of its turn's reservation. */
export interface UsageCall {
  model: string;
  promptTokens: number;
  completionTokens: number;
  release?: number;
}

/** Tokens a turn in flight holds of its channel's day; `left` shrinks as its calls are recorded. */
export interface Reservation {
  left: number;
}

const scopes = new AsyncLocalStorage<UsageScope>();

/** Runs `work` with its model calls held against `scope`. */
export function withUsageScope<T>(scope: Omit<UsageScope, "held">, work: (scope: UsageScope) => Promise<T>): Promise<T> {
  const full: UsageScope = { ...scope, held: [] };
  return scopes.run(full, () => work(full));
}

export function currentUsageScope(): UsageScope | undefined {
  return scopes.getStore();
}
