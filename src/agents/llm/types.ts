import type { ToolCallRequest, ToolSpec } from "../../core/tool-call.js";

export type { ToolCallRequest, ToolSpec };

/** An image the model is shown with a user message: its bytes as a `data:` URL (a model cannot open a platform's private link). */
export interface ChatImage {
  url: string;
}

export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string; name?: string; images?: ChatImage[] }
  | { role: "assistant"; content: string; toolCalls?: ToolCallRequest[] }
  | { role: "tool"; toolCallId: string; content: string };

export interface CompletionRequest {
  messages: ChatMessage[];
  model?: string;
  tools?: ToolSpec[];
  /** Called with each piece of text as it streams in. */
  onDelta?: (text: string) => void;
  signal?: AbortSignal;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface CompletionResult {
  content: string;
  toolCalls: ToolCallRequest[];
  usage?: TokenUsage;
  finishReason: string;
  /** The model that answered, as the server names it (often more exact than the one asked for). */
  responseModel?: string;
  /** The server's id of this completion. */
  responseId?: string;
}

export interface LlmClient {
  readonly model: string;
  complete(request: CompletionRequest): Promise<CompletionResult>;
}

export type LlmErrorKind = "not_configured" | "timeout" | "rate_limited" | "server" | "auth" | "bad_request" | "bad_response" | "aborted";

/** Every LLM failure, with a message fit to show a user (no secrets). */
export class LlmError extends Error {
  override name = "LlmError";
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Where OpenAI's API is, for a model or embeddings server left unset. */
export const OPENAI_API_URL = "https://api.openai.com/v1";
