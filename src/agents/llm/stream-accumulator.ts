import { randomBytes } from "node:crypto";
import { z } from "zod";
import { storableText } from "../../core/storable-text.js";
import type { CompletionResult, TokenUsage, ToolCallRequest } from "./types.js";

// Lenient on purpose: OpenAI-compatible servers differ in which fields they send and
// whether they send null or nothing. Anything we rely on is checked here.
const toolCallDeltaSchema = z.object({
  index: z.number().int().nonnegative().nullish(),
  id: z.string().nullish(),
  function: z
    .object({
      name: z.string().nullish(),
      // A few servers send parsed arguments; keep them as raw JSON text either way.
      arguments: z
        .union([z.string(), z.record(z.string(), z.unknown())])
        .nullish()
        .transform((v) => (v == null || typeof v === "string" ? v : JSON.stringify(v))),
    })
    .nullish(),
});

const chunkSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullish(),
            refusal: z.string().nullish(),
            tool_calls: z.array(toolCallDeltaSchema).nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z.object({ prompt_tokens: z.number().nullish(), completion_tokens: z.number().nullish() }).nullish(),
});

type ToolCallDelta = z.output<typeof toolCallDeltaSchema>;

interface PartialToolCall {
  id: string | undefined;
  name: string;
  arguments: string;
}

/** Thrown when the stream cannot be understood; mapped to LlmError "bad_response". */
export class BadResponseError extends Error {
  override name = "BadResponseError";
}

let generatedIds = 0;

/** Folds streamed chat-completion chunks into one result. */
export class StreamAccumulator {
  private content = "";
  private readonly calls = new Map<number, PartialToolCall>();
  private lastIndex: number | undefined;
  private usage: TokenUsage | undefined;
  private finishReason: string | undefined;
  private sawChoice = false;
  private responseModel: string | undefined;
  private responseId: string | undefined;

  /** Adds one chunk and returns its text, if any, for the caller to stream on. */
  add(raw: unknown): string {
    const parsed = chunkSchema.safeParse(raw);
    if (!parsed.success) throw new BadResponseError("stream chunk has an unexpected shape", { cause: parsed.error });
    const chunk = parsed.data;
    this.responseModel ??= chunk.model || undefined;
    this.responseId ??= chunk.id || undefined;
    if (chunk.usage) {
      // Some servers repeat a running total on every chunk; the last one wins.
      this.usage = {
        promptTokens: chunk.usage.prompt_tokens ?? 0,
        completionTokens: chunk.usage.completion_tokens ?? 0,
      };
    }
    // We never ask for n > 1, so the first choice is the answer.
    const choice = chunk.choices?.[0];
    if (!choice) return "";
    this.sawChoice = true;
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    const text = storableText((choice.delta?.content ?? "") + (choice.delta?.refusal ?? ""));
    this.content += text;
    for (const delta of choice.delta?.tool_calls ?? []) this.addToolCall(delta);
    return text;
  }

  result(): CompletionResult {
    if (!this.sawChoice) throw new BadResponseError("the stream carried no choices");
    // Every server we target ends a complete answer with a finish_reason; without one the
    // stream was cut short, and a partial answer must not pass for a whole one.
    if (this.finishReason === undefined) throw new BadResponseError("the stream ended before the answer was finished");
    const toolCalls: ToolCallRequest[] = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, call]) => ({ id: call.id ?? generateCallId(), name: call.name, arguments: call.arguments }));
    if (toolCalls.some((call) => call.name === "")) throw new BadResponseError("a tool call arrived without a name");
    const result: CompletionResult = { content: this.content, toolCalls, finishReason: this.finishReason };
    if (this.usage) result.usage = this.usage;
    if (this.responseModel) result.responseModel = this.responseModel;
    if (this.responseId) result.responseId = this.responseId;
    return result;
  }

  private addToolCall(delta: ToolCallDelta): void {
    const index = this.indexFor(delta);
    this.lastIndex = index;
    let call = this.calls.get(index);
    if (!call) {
      call = { id: undefined, name: "", arguments: "" };
      this.calls.set(index, call);
    }
    // Servers that repeat the id (or name) on every delta: the first one stands.
    if (delta.id && call.id === undefined) call.id = delta.id;
    if (delta.function?.name && call.name === "") call.name = delta.function.name;
    if (delta.function?.arguments) call.arguments += storableText(delta.function.arguments);
  }

  /** `index` is standard; without it, a known id continues its call, a new id or name starts one. */
  private indexFor(delta: ToolCallDelta): number {
    if (delta.index != null) return delta.index;
    if (delta.id) {
      for (const [index, call] of this.calls) if (call.id === delta.id) return index;
      return this.nextIndex();
    }
    if (delta.function?.name || this.lastIndex === undefined) return this.nextIndex();
    return this.lastIndex;
  }

  private nextIndex(): number {
    return this.calls.size === 0 ? 0 : Math.max(...this.calls.keys()) + 1;
  }
}

/** Stable for the conversation and unique across calls, for servers that send no id. */
function generateCallId(): string {
  generatedIds += 1;
  return `call_${generatedIds}_${randomBytes(6).toString("hex")}`;
}
