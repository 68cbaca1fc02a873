import { ShuttingDownError } from "../../core/bot.js";
import type { ReplyStream } from "../../core/poster.js";
import { LlmError, type LlmErrorKind } from "../llm/types.js";

/**
 * How a turn failed, as its stored reply records it (`messages.error`): the model client's own
 * kinds, a tool the model could not answer without, the bot stopping, or anything else.
 */
export type TurnFailureKind = LlmErrorKind | "tool" | "restarting" | "internal";

/** A tool's failure that left the model without an answer; the turn fails with kind "tool". */
export class ToolFailedError extends Error {
  override name = "ToolFailedError";
  constructor(
    readonly tool: string,
    options?: { cause?: unknown },
  ) {
    super(`The ${tool} tool failed and the model gave no answer without it.`, options);
  }
}

export function failureKind(error: unknown): TurnFailureKind {
  if (error instanceof LlmError) return error.kind;
  if (error instanceof ToolFailedError) return "tool";
  if (error instanceof ShuttingDownError) return "restarting";
  return "internal";
}

const AGAIN = "Please try again in a moment.";

/**
 * The one sentence a thread is told when its turn failed: what kind of failure, and what to do.
 * Fixed wording per kind, never the error's own text (a provider may echo a key or a URL back),
 * except the unconfigured client's, which is ours and says which settings to set.
 */
export function failureSentence(error: unknown): string {
  const kind = failureKind(error);
  const because = (reason: string, then = AGAIN) => `⚠️ I could not answer: ${reason}. ${then}`;
  switch (kind) {
    case "not_configured":
      return `⚠️ I could not answer: ${(error as LlmError).message}`;
    case "server":
      return because("the model server is unreachable or failing");
    case "rate_limited":
      return because("the model provider is rate-limiting me", "Please try again in a minute.");
    case "timeout":
      return because("the model took too long to respond (timed out)");
    case "auth":
      return because("the model provider refused my credentials", "An admin needs to check OPENAI_API_KEY.");
    case "bad_request":
      return because("the model provider refused the request", "An admin can find why in the bot's log.");
    case "bad_response":
      return because("the model server sent a reply I could not read");
    case "aborted":
      return because("the request to the model was cancelled");
    case "tool":
      return because(`the ${(error as ToolFailedError).tool} tool failed`);
    case "restarting":
      return "⚠️ I could not answer: I am restarting. Please send your message again in a moment.";
    case "internal":
      return because("something went wrong on my side (an internal error)");
  }
}

/** Failures the thread was already told of, so that no caller up the chain says it twice. */
const told = new WeakSet<object>();

function markTold(error: unknown): void {
  if (typeof error === "object" && error !== null) told.add(error);
}

export function wasTold(error: unknown): boolean {
  return typeof error === "object" && error !== null && told.has(error);
}

/**
 * Says in the thread, through `stream`, that its turn failed with `error` before a reply could be
 * stored: the sentence replaces whatever was streamed. Best effort: false when the platform
 * refused it too. Marked `unstored`: the thread's stored history does not hold it.
 */
export async function sayFailed(stream: ReplyStream, error: unknown): Promise<boolean> {
  try {
    await stream.finish(failureSentence(error), { error: failureKind(error), unstored: true });
    markTold(error);
    return true;
  } catch {
    return false;
  }
}

/** The stream, noting whether finish() was called: after that, what it shows is not ours to replace. */
export function watchFinish(stream: ReplyStream): ReplyStream & { readonly finishing: boolean } {
  let finishing = false;
  return {
    get finishing() {
      return finishing;
    },
    append: (delta) => stream.append(delta),
    complete: () => stream.complete?.(),
    finish: (text, failure) => {
      finishing = true;
      return stream.finish(text, failure);
    },
  };
}
