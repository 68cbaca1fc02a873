import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import {
  type CompletionRequest,
  type CompletionResult,
  type LlmClient,
  LlmError,
  type LlmErrorKind,
  type TokenUsage,
  type ToolCallRequest,
} from "../../src/agents/llm/types.js";

/**
 * An in-process model for unit tests: an `LlmClient` that plays a script instead of calling a
 * server. It streams text through `onDelta` in pieces, honours `signal`, and keeps every request
 * it saw so a test can assert on the prompt. End-to-end tests of the adapters keep the fake LLM
 * server (../fakes/llm.ts), which goes through the real OpenAI client and HTTP.
 *
 *   const llm = new ScriptedLlm()
 *     .next({ toolCalls: [{ name: "calculator", arguments: { expression: "6 * 7" } }] })
 *     .next("It is 42.");
 *   // ... run the assistant with `llm` ...
 *   expect(llm.requests[1]!.messages.at(-1)).toMatchObject({ role: "tool" });
 */

/** A tool call the model makes: arguments as JSON text or as a value to serialise; an id is made up when absent. */
interface ScriptedToolCall {
  name: string;
  arguments?: string | object;
  id?: string;
}

/** One answer of the model: text, tool calls, or a failure. A bare string is `{ content }`. */
export type ScriptedReply =
  | string
  | {
      content?: string;
      toolCalls?: ScriptedToolCall[];
      usage?: TokenUsage;
      /** Default: "tool_calls" with tool calls, else "stop". */
      finishReason?: string;
      /** Characters per `onDelta` piece; default 8. */
      chunkSize?: number;
      /** Milliseconds before each piece (and before an answer without text); default 0. */
      delayMs?: number;
    }
  /** The call fails with an `LlmError` of this kind (or with this very error). */
  | { error: LlmErrorKind | Error; message?: string };

/** A turn of the script: a reply, or a function of the request (and of the call's index, from 0) that gives one. */
export type ScriptedTurn = ScriptedReply | ((request: CompletionRequest, call: number) => ScriptedReply | Promise<ScriptedReply>);

export class ScriptedLlm implements LlmClient {
  readonly model: string;
  /** Every request seen, oldest first: its messages as they were at the call, and its tools. */
  readonly requests: CompletionRequest[] = [];
  readonly #queue: ScriptedTurn[] = [];
  #always: ScriptedTurn | undefined;
  #ids = 0;

  /** `always`, when given, answers every call that no queued turn covers. */
  constructor(options: { model?: string; always?: ScriptedTurn } = {}) {
    this.model = options.model ?? "scripted-model";
    this.#always = options.always;
  }

  /** Queues turns, each played once, in order, before `always` is asked. */
  next(...turns: ScriptedTurn[]): this {
    this.#queue.push(...turns);
    return this;
  }

  /** Answers every call the queue does not cover with `turn` (replacing an earlier one). */
  always(turn: ScriptedTurn): this {
    this.#always = turn;
    return this;
  }

  /** Forgets the queue, `always` and the requests seen. */
  reset(): this {
    this.#queue.length = 0;
    this.#always = undefined;
    this.requests.length = 0;
    return this;
  }

  /** The most recent request; fails when there was none. */
  lastRequest(): CompletionRequest {
    const last = this.requests.at(-1);
    if (!last) throw new Error("the scripted model has not been called");
    return last;
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const call = this.requests.length;
    // The caller may go on changing its arrays (the reasoning loop pushes to its messages).
    const seen: CompletionRequest = { ...request, messages: [...request.messages], ...(request.tools && { tools: [...request.tools] }) };
    this.requests.push(seen);
    const { signal } = request;
    throwIfAborted(signal);
    const turn = this.#queue.shift() ?? this.#always;
    if (turn === undefined) throw new Error(`the scripted model has no turn for call ${call} (last user message: ${lastUserText(seen)})`);
    const reply = typeof turn === "function" ? await untilAborted(Promise.resolve(turn(seen, call)), signal) : turn;
    return this.#play(reply, request.onDelta, signal);
  }

  async #play(
    reply: ScriptedReply,
    onDelta: ((text: string) => void) | undefined,
    signal: AbortSignal | undefined,
  ): Promise<CompletionResult> {
    const answer = typeof reply === "string" ? { content: reply } : reply;
    if ("error" in answer) {
      throw answer.error instanceof Error
        ? answer.error
        : new LlmError(answer.error, answer.message ?? `The scripted model failed (${answer.error}).`);
    }
    const content = answer.content ?? "";
    const chunkSize = Math.max(1, answer.chunkSize ?? 8);
    const pause = () => (answer.delayMs ? untilAborted(sleep(answer.delayMs), signal) : nextTurn());
    if (content === "") await pause();
    for (let at = 0; at < content.length; at += chunkSize) {
      // A real stream's pieces arrive on later turns of the event loop, never all at once.
      await pause();
      throwIfAborted(signal);
      onDelta?.(content.slice(at, at + chunkSize));
    }
    throwIfAborted(signal);
    const toolCalls: ToolCallRequest[] = (answer.toolCalls ?? []).map((call) => ({
      id: call.id ?? `call_scripted_${++this.#ids}`,
      name: call.name,
      arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments ?? {}),
    }));
    return {
      content,
      toolCalls,
      finishReason: answer.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
      ...(answer.usage && { usage: answer.usage }),
    };
  }
}

/** The text of the last user message of a request (the scripted model's or the fake server's). */
export function lastUserText(request: { messages: readonly { role: string; content?: unknown }[] }): string {
  const user = [...request.messages].reverse().find((message) => message.role === "user");
  return typeof user?.content === "string" ? user.content : "";
}

/** Every system message of a request, joined. */
export function systemText(request: { messages: readonly { role: string; content?: unknown }[] }): string {
  return request.messages
    .filter((message) => message.role === "system")
    .map((message) => (typeof message.content === "string" ? message.content : ""))
    .join("\n");
}

/** The recalled memories of a request: the contents of its `<memory>` data blocks, one a line. */
export function memoryText(request: { messages: readonly { role: string; content?: unknown }[] }): string {
  return request.messages
    .flatMap((message) => (typeof message.content === "string" ? [...message.content.matchAll(/<memory [^>]*>([^<]*)<\/memory>/g)] : []))
    .map((match) => match[1])
    .join("\n");
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LlmError("aborted", "The request to the model was cancelled.", { cause: signal.reason });
}

/** `work`, or an aborted LlmError as soon as `signal` fires. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new LlmError("aborted", "The request to the model was cancelled.", { cause: signal.reason }));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
