import { setTimeout as sleep } from "node:timers/promises";
import { untilAborted } from "../core/abort.js";
import type { Background } from "../core/background.js";
import { redactOutput, redactSecrets } from "../core/redact.js";
import { storableText } from "../core/storable-text.js";
import { shownArguments, type ToolCallRequest } from "../core/tool-call.js";
import type { Db } from "../db/client.js";
import { checkArguments } from "./arguments.js";
import { AuditLog } from "./audit-log.js";
import type { Tool, ToolContext } from "./define.js";
import { RetryableToolError } from "./policy.js";
import { MemoryRateLimiter, type RateLimiter } from "./rate-limiter.js";
import { type ToolStats, toolStats } from "./stats.js";

export interface ToolOutcome {
  name: string;
  ok: boolean;
  /** What goes back to the model: the result as JSON, or a readable error. */
  content: string;
  /** The content came from outside the bot (an external tool ran): the model is told not to trust it. */
  untrusted?: boolean;
}

export type CallContext = Omit<ToolContext, "signal">;

export interface ExecutorOptions {
  /** Shared allowances (Redis); by default counted in this process. */
  limiter?: RateLimiter;
  /** Base of the exponential backoff between retries. */
  backoffMs?: number;
  /** Writes audit rows off the call's path; without it each call awaits its row. */
  background?: Background;
  /** Told of every finished call (metrics). */
  onCall?: (tool: string, ok: boolean) => void;
}

const MINUTE = 60_000;

/**
 * Every tool call goes through here: access, arguments (repaired, then validated), forbidden
 * arguments, rate limits shared across processes, a timeout that aborts the work, retries of
 * retryable failures, an output cap, and a row in the audit table. It never throws.
 */
export class ToolExecutor {
  private readonly limiter: RateLimiter;
  private readonly backoffMs: number;
  readonly #audit: AuditLog;
  readonly #onCall: ((tool: string, ok: boolean) => void) | undefined;

  constructor(
    private readonly db: Db,
    options: ExecutorOptions = {},
  ) {
    this.limiter = options.limiter ?? new MemoryRateLimiter();
    this.backoffMs = options.backoffMs ?? 250;
    this.#audit = new AuditLog(db, options.background);
    this.#onCall = options.onCall;
  }

  /** Per-tool statistics from the audit table, including every call made so far. */
  async stats(): Promise<Map<string, ToolStats>> {
    await this.#audit.flush();
    return toolStats(this.db);
  }

  /** Resolves when every call so far has its audit row. */
  flushAudit(): Promise<void> {
    return this.#audit.flush();
  }

  async execute(tool: Tool | undefined, call: ToolCallRequest, context: CallContext, signal?: AbortSignal): Promise<ToolOutcome> {
    const started = performance.now();
    const checked = tool ? checkArguments(tool.input, call.arguments) : undefined;
    let outcome: ToolOutcome;
    if (!tool || !checked) outcome = failure(call.name, `there is no tool named "${call.name}" in this channel.`);
    else if (!checked.ok) outcome = failure(tool.name, `invalid arguments for ${tool.name}: ${checked.error}`);
    else outcome = (await this.#refusal(tool, checked.sent, context)) ?? (await this.#ran(tool, checked.args, context, signal));
    outcome.content = storableText(outcome.content);
    this.#onCall?.(call.name, outcome.ok);

    await this.#audit.record({
      channelId: context.channelId,
      conversationId: context.conversationId ?? null,
      callId: call.id,
      toolName: call.name,
      arguments: checked ? redactSecrets(checked.raw) : shownArguments(call.arguments),
      ok: outcome.ok,
      // Redacted here only: the model needs the real result (an API may echo headers, an MCP tool a token).
      result: cut(redactOutput(outcome.content), 4_000),
      durationMs: Math.round(performance.now() - started),
    });
    return outcome;
  }

  /** The tool's own outcome; what an external tool returns came from outside the bot. */
  async #ran(tool: Tool, args: unknown, context: CallContext, signal?: AbortSignal): Promise<ToolOutcome> {
    const outcome = await this.#run(tool, args, context, signal);
    return tool.risk === "external" ? { ...outcome, untrusted: true } : outcome;
  }

  /** `sent` is what the caller set (repaired, without defaults), so a default never trips a forbidden path. */
  async #refusal(tool: Tool, sent: unknown, context: CallContext): Promise<ToolOutcome | undefined> {
    const { policy } = tool;
    if (policy.adminOnly && !context.author.isAdmin) return failure(tool.name, `${tool.name} may only be run by an admin.`);
    const forbidden = policy.forbiddenArguments.find((path) => valueAt(sent, path) != null);
    if (forbidden) return failure(tool.name, `the argument "${forbidden}" may not be set for ${tool.name}.`);
    if (policy.perMinute !== undefined && !(await this.limiter.take(`tool:${tool.name}`, policy.perMinute, MINUTE)))
      return failure(tool.name, `${tool.name} is rate limited (${policy.perMinute} calls a minute); try again shortly.`);
    if (
      policy.perChannelPerMinute !== undefined &&
      !(await this.limiter.take(`tool:${tool.name}:${context.channelId}`, policy.perChannelPerMinute, MINUTE))
    )
      return failure(
        tool.name,
        `${tool.name} is rate limited in this channel (${policy.perChannelPerMinute} calls a minute); try again shortly.`,
      );
    return undefined;
  }

  async #run(tool: Tool, args: unknown, context: CallContext, outer?: AbortSignal): Promise<ToolOutcome> {
    const { policy } = tool;
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(policy.timeoutMs);
      const signal = outer ? AbortSignal.any([timeout, outer]) : timeout;
      try {
        const result = await untilAborted(Promise.resolve(tool.run(args, { ...context, signal })), signal);
        const text = typeof result === "string" ? result : JSON.stringify(result);
        return { name: tool.name, ok: true, content: cut(text ?? "null", policy.maxOutputChars) };
      } catch (error) {
        if (timeout.aborted) return failure(tool.name, `${tool.name} timed out after ${policy.timeoutMs} ms.`);
        if (outer?.aborted) return failure(tool.name, `${tool.name} was cancelled.`);
        if (!(error instanceof RetryableToolError) || attempt >= policy.maxRetries)
          return failure(tool.name, `${tool.name} failed: ${(error as Error).message ?? String(error)}`);
        // Exponential backoff with full jitter, so retries from many calls spread out.
        try {
          await sleep(Math.random() * this.backoffMs * 2 ** attempt, undefined, outer ? { signal: outer } : undefined);
        } catch {
          return failure(tool.name, `${tool.name} was cancelled.`);
        }
      }
    }
  }
}

function failure(name: string, message: string): ToolOutcome {
  return { name, ok: false, content: `Error: ${message}` };
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n[output cut: ${text.length - max} more characters not shown]`;
}

function valueAt(value: unknown, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>(
      (node, key) => (node !== null && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined),
      value,
    );
}
