import { APIConnectionError, APIError, APIUserAbortError } from "openai";
import { z } from "zod";
import { BadResponseError } from "./stream-accumulator.js";
import { LlmError } from "./types.js";

/** What the caller knows about how a call ended, beyond the thrown error. */
export interface CallOutcome {
  /** The caller's own signal fired. */
  callerAborted: boolean;
  /** Our whole-call deadline fired. */
  deadlineHit: boolean;
  /** Status of the last HTTP response seen, if any (a deadline can hit while waiting to retry it). */
  lastStatus: number | undefined;
  timeoutMs: number;
  apiKey: string;
  baseURL: string | undefined;
}

/** Turns any failure of a call into an LlmError whose message is fit for a user and holds no secret. */
export function toLlmError(error: unknown, outcome: CallOutcome): LlmError {
  const make = (kind: LlmError["kind"], message: string) => new LlmError(kind, redact(message, outcome.apiKey), { cause: error });

  if (error instanceof LlmError) return error;
  if (outcome.callerAborted) return make("aborted", "The request to the model was cancelled.");
  if (outcome.deadlineHit) {
    // Out of time while backing off from a 429 or 5xx: that status is the real story.
    const status = outcome.lastStatus;
    if (status === 429) return make("rate_limited", rateLimitedMessage);
    if (status !== undefined && status >= 500) return make("server", serverMessage(status));
    return make("timeout", `The model did not answer within ${seconds(outcome.timeoutMs)}.`);
  }
  if (error instanceof BadResponseError)
    return make("bad_response", `The model server sent a reply that could not be read: ${error.message}.`);
  // The SDK JSON-parses each SSE event; its message quotes the server's bytes, so leave it in `cause`.
  if (error instanceof SyntaxError) return make("bad_response", "The model server sent a reply that could not be read.");
  if (error instanceof APIUserAbortError) return make("aborted", "The request to the model was cancelled.");
  if (error instanceof APIConnectionError)
    return make(
      "server",
      unreachable(error)
        ? `Could not reach the model server${where(outcome.baseURL)}.`
        : `The connection to the model server${where(outcome.baseURL)} failed.`,
    );
  if (error instanceof APIError) return fromStatus(error, make);
  // undici reports a connection dropped mid-body as a TypeError ("terminated").
  return make("server", "The connection to the model server failed while it was answering.");
}

function fromStatus(error: APIError, make: (kind: LlmError["kind"], message: string) => LlmError): LlmError {
  const status = error.status;
  if (status === undefined) {
    // An error event inside a 200 stream (OpenAI and vLLM send these).
    return make("server", `The model server reported an error mid-answer: ${detail(error)}`);
  }
  if (status === 401 || status === 403)
    return make("auth", `The model provider refused the credentials (HTTP ${status}); check OPENAI_API_KEY.`);
  if (status === 429) return make("rate_limited", rateLimitedMessage);
  if (status === 408) return make("timeout", "The model server timed out (HTTP 408).");
  if (status >= 500) return make("server", serverMessage(status));
  if (status === 404)
    return make("bad_request", `The model or endpoint was not found (HTTP 404); check LLM_MODEL and OPENAI_BASE_URL: ${detail(error)}`);
  return make("bad_request", `The model provider rejected the request (HTTP ${status}): ${detail(error)}`);
}

const rateLimitedMessage = "The model provider is rate-limiting us; try again in a minute.";

function serverMessage(status: number): string {
  return `The model server failed (HTTP ${status}); try again shortly.`;
}

/** The server's own explanation, short; 4xx bodies are usually the most useful thing to show. */
function detail(error: APIError): string {
  const body: unknown = error.error;
  const parsed = z.object({ message: z.string() }).safeParse(body);
  const text = parsed.success ? parsed.data.message : "no details";
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Nothing listening or no such host, as opposed to a connection that broke. */
function unreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EHOSTUNREACH") return true;
  }
  return false;
}

function where(baseURL: string | undefined): string {
  if (!baseURL || !URL.canParse(baseURL)) return "";
  // host only: a URL may carry user:password.
  return ` at ${new URL(baseURL).host}`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** A server may echo the key back in its error text; never pass it on. */
function redact(message: string, apiKey: string): string {
  return apiKey.length >= 4 ? message.split(apiKey).join("[redacted]") : message;
}
