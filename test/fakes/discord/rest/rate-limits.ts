import type { RESTRateLimit } from "discord-api-types/v10";
import type { Answer } from "./router.js";

/** 429s a test scripts on a route, answered the way Discord sends them. */

export interface RateLimitScript {
  /** How many of the next calls answer 429; default 1. */
  times?: number;
  /** Seconds, as in `retry_after` (a float in the body, rounded up in `Retry-After`); default 1. */
  retryAfter?: number;
  /** A global limit (`X-RateLimit-Global`, `global: true`) instead of the route's bucket. */
  global?: boolean;
}

export class RateLimits {
  private readonly scripts = new Map<string, Required<RateLimitScript>[]>();

  add(route: string, script: RateLimitScript): void {
    this.scripts.set(route, [
      ...(this.scripts.get(route) ?? []),
      { times: script.times ?? 1, retryAfter: script.retryAfter ?? 1, global: script.global ?? false },
    ]);
  }

  /** The 429 for this call to `route`, when one is scripted. */
  take(route: string): Answer | undefined {
    const scripted = this.scripts.get(route)?.[0];
    if (!scripted) return undefined;
    scripted.times -= 1;
    if (scripted.times <= 0) this.scripts.get(route)!.shift();
    return rateLimited(route, scripted);
  }

  clear(): void {
    this.scripts.clear();
  }
}

/** A 429 as Discord documents it: `retry_after` in the body, `Retry-After` and the `X-RateLimit-*` headers. */
function rateLimited(route: string, script: Required<RateLimitScript>): Answer {
  const body: RESTRateLimit = { message: "You are being rate limited.", retry_after: script.retryAfter, global: script.global };
  const headers: Record<string, string> = {
    "Retry-After": String(Math.ceil(script.retryAfter)),
    "X-RateLimit-Scope": script.global ? "global" : "user",
  };
  if (script.global) headers["X-RateLimit-Global"] = "true";
  else
    Object.assign(headers, {
      "X-RateLimit-Limit": "5",
      "X-RateLimit-Remaining": "0",
      "X-RateLimit-Reset": ((Date.now() + script.retryAfter * 1000) / 1000).toFixed(3),
      "X-RateLimit-Reset-After": script.retryAfter.toFixed(3),
      "X-RateLimit-Bucket": Buffer.from(route).toString("hex").slice(0, 32),
    });
  return { status: 429, body, headers };
}
