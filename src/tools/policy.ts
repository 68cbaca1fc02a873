/** How the executor treats every call of one tool, from the model or from `/tools run`. */
export interface ToolPolicy {
  /** Milliseconds before the call is aborted through its AbortSignal. */
  timeoutMs: number;
  /** Extra attempts for failures the tool marks retryable (RetryableToolError). */
  maxRetries: number;
  /** Calls per minute across every channel and process; undefined for no limit. */
  perMinute?: number;
  /** Calls per minute in one channel, across processes. */
  perChannelPerMinute?: number;
  /** Only admins (platform roles or ADMIN_USERS) may run it. */
  adminOnly: boolean;
  /** Argument paths (like "headers.authorization") the model may never set. */
  forbiddenArguments: string[];
  /** Longest result text handed back; longer output is cut with a note. */
  maxOutputChars: number;
}

export const defaultPolicy: ToolPolicy = {
  timeoutMs: 10_000,
  maxRetries: 0,
  adminOnly: false,
  forbiddenArguments: [],
  maxOutputChars: 16_000,
};

/** A failure worth trying again (a timeout upstream, a 503); anything else fails at once. */
export class RetryableToolError extends Error {
  override name = "RetryableToolError";
}
