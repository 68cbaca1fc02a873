import OpenAI from "openai";
import type { ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import type { Config } from "../../config.js";
import { untilAborted } from "../../core/abort.js";
import { leanFetch } from "../../core/lean-fetch.js";
import { type CallOutcome, toLlmError } from "./llm-errors.js";
import { toOpenAiMessages, toOpenAiTools } from "./openai-messages.js";
import { StreamAccumulator } from "./stream-accumulator.js";
import { type CompletionRequest, type CompletionResult, type LlmClient, OPENAI_API_URL } from "./types.js";

/** Streams chat completions from any OpenAI-compatible server, with native tool calls. */
export function createOpenAiClient(settings: Config["llm"]): LlmClient {
  const baseURL = settings.baseURL ?? OPENAI_API_URL;
  const client = new OpenAI({
    apiKey: settings.apiKey,
    baseURL,
    // The SDK's retries honour Retry-After / retry-after-ms on 429 and back off on 5xx.
    maxRetries: settings.maxRetries,
    timeout: settings.timeoutMs,
    // Failures come back to the caller as LlmError; the SDK's own console output is noise.
    logLevel: "off",
    // Notes each status for the call whose request carries a sink, so a deadline that hits while
    // the SDK sleeps before a retry can still be reported as what it was. One client for every
    // call: a per-call client (withOptions) costs more than the rest of the call's own work.
    fetch: async (input, init) => {
      const response = await leanFetch(input, init);
      (init as StatusSink | undefined)?.[statusSink]?.(response.status);
      return response;
    },
  });

  return {
    model: settings.model,
    async complete(request: CompletionRequest): Promise<CompletionResult> {
      const call = startCall(request.signal, settings.timeoutMs);
      const outcome: CallOutcome = {
        callerAborted: false,
        deadlineHit: false,
        lastStatus: undefined,
        timeoutMs: settings.timeoutMs,
        apiKey: settings.apiKey,
        baseURL,
      };
      const sink: StatusSink = { [statusSink]: (status) => (outcome.lastStatus = status) };
      try {
        // The SDK sleeps before a retry without watching the signal; don't wait for it.
        const stream = await untilAborted(
          client.chat.completions.create(buildParams(request, settings.model), {
            signal: call.signal,
            timeout: settings.timeoutMs,
            // The SDK spreads these into the init its fetch receives, symbol keys included.
            fetchOptions: sink as OpenAI.RequestOptions["fetchOptions"],
          }),
          call.signal,
        );
        const accumulator = new StreamAccumulator();
        for await (const chunk of stream) {
          const text = accumulator.add(chunk);
          if (text !== "") deliver(request, text);
        }
        // The SDK ends iteration quietly when its request is aborted; that is not a success.
        call.signal.throwIfAborted();
        return accumulator.result();
      } catch (error) {
        if (error instanceof CallbackError) throw error.error;
        outcome.callerAborted = request.signal?.aborted === true;
        outcome.deadlineHit = call.deadlineHit();
        throw toLlmError(error, outcome);
      } finally {
        call.dispose();
      }
    },
  };
}

function buildParams(request: CompletionRequest, model: string): ChatCompletionCreateParamsStreaming {
  const params: ChatCompletionCreateParamsStreaming = {
    model: request.model ?? model,
    messages: toOpenAiMessages(request.messages),
    stream: true,
    stream_options: { include_usage: true },
  };
  if (request.tools && request.tools.length > 0) {
    params.tools = toOpenAiTools(request.tools);
    params.tool_choice = "auto";
  }
  return params;
}

const statusSink = Symbol("status sink");
type StatusSink = { [statusSink]?: (status: number) => void };

/** An error thrown by the caller's onDelta; it is theirs, so it passes through unmapped. */
class CallbackError {
  constructor(readonly error: unknown) {}
}

function deliver(request: CompletionRequest, text: string): void {
  try {
    request.onDelta?.(text);
  } catch (error) {
    throw new CallbackError(error);
  }
}

interface Call {
  signal: AbortSignal;
  deadlineHit(): boolean;
  dispose(): void;
}

/**
 * One signal for the whole call: the caller's signal or our deadline. The SDK's own timeout
 * only covers waiting for response headers; this one also covers a stream that stalls.
 */
function startCall(callerSignal: AbortSignal | undefined, timeoutMs: number): Call {
  const controller = new AbortController();
  let hit = false;
  const timer = setTimeout(() => {
    hit = true;
    controller.abort(new Error(`deadline of ${timeoutMs} ms passed`));
  }, timeoutMs);
  const onCallerAbort = () => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener("abort", onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    deadlineHit: () => hit,
    dispose: () => {
      clearTimeout(timer);
      callerSignal?.removeEventListener("abort", onCallerAbort);
    },
  };
}
