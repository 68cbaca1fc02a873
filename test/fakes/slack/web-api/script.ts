import type { RecordedCall } from "./args.js";
import type { Answer } from "./http.js";
import { STREAM_METHODS } from "./streaming.js";

/** What a test scripts to go wrong: failures, delays and a workspace that cannot stream. */

export interface FailOptions {
  /** How many of the next calls fail; default 1 (Infinity for "from now on"). */
  times?: number;
  /** For "ratelimited": the Retry-After header in seconds; default 1. */
  retryAfter?: number;
  /** HTTP status; default 429 for "ratelimited", 200 otherwise (Slack answers errors with 200). */
  status?: number;
}

export interface FakeSlackScript {
  /** The next `times` calls to `method` answer `{ok:false, error}` (429 + Retry-After for "ratelimited"). */
  fail(method: string, error: string, options?: FailOptions): void;
  /**
   * The workspace cannot stream: chat.startStream / appendStream / stopStream answer
   * `{ok:false, error}`, "not_allowed_token_type" unless given (e.g. "unknown_method").
   */
  refuseStreaming(error?: string): void;
  allowStreaming(): void;
  /** Holds every call to `method` ("*" for all) for `ms` before answering. */
  delay(method: string, ms: number, options?: { times?: number }): void;
  /** Forgets every scripted failure, delay and streaming refusal. */
  clear(): void;
}

interface FailScript {
  error: string;
  remaining: number;
  retryAfter: number;
  status: number;
}

export class SlackScript implements FakeSlackScript {
  private readonly failures = new Map<string, FailScript[]>();
  private readonly delays = new Map<string, { ms: number; remaining: number }>();
  private streamingRefusal: string | undefined;

  fail(method: string, error: string, opts: FailOptions = {}): void {
    const queue = this.failures.get(method) ?? [];
    queue.push({
      error,
      remaining: opts.times ?? 1,
      retryAfter: opts.retryAfter ?? 1,
      status: opts.status ?? (error === "ratelimited" ? 429 : 200),
    });
    this.failures.set(method, queue);
  }

  refuseStreaming(error = "not_allowed_token_type"): void {
    this.streamingRefusal = error;
  }

  allowStreaming(): void {
    this.streamingRefusal = undefined;
  }

  delay(method: string, ms: number, opts: { times?: number } = {}): void {
    this.delays.set(method, { ms, remaining: opts.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.failures.clear();
    this.delays.clear();
    this.streamingRefusal = undefined;
  }

  /** Waits out a scripted delay, then answers a scripted failure or streaming refusal if there is one. */
  async intercept(call: RecordedCall): Promise<Answer | undefined> {
    const delay = this.delays.get(call.method) ?? this.delays.get("*");
    if (delay && delay.remaining > 0) {
      delay.remaining -= 1;
      await new Promise((resolve) => setTimeout(resolve, delay.ms));
    }
    const queue = this.failures.get(call.method);
    const failure = queue?.[0];
    if (queue && failure) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) queue.shift();
      const headers: Record<string, string> = failure.error === "ratelimited" ? { "Retry-After": String(failure.retryAfter) } : {};
      return { status: failure.status, headers, body: { ok: false, error: failure.error } };
    }
    if (this.streamingRefusal && STREAM_METHODS.has(call.method)) {
      return { status: 200, body: { ok: false, error: this.streamingRefusal } };
    }
    return undefined;
  }
}
