import { type LlmClient, LlmError } from "./types.js";

export const notConfiguredMessage =
  "No language model is configured. Set OPENAI_API_KEY to use OpenAI, or set OPENAI_BASE_URL and LLM_MODEL " +
  "to use another OpenAI-compatible server (Ollama, vLLM, llama.cpp), then restart the bot.";

/** Stands in when no LLM is set up, so the bot still starts and says what to set. */
export function createUnconfiguredClient(model: string): LlmClient {
  return {
    model,
    complete: () => Promise.reject(new LlmError("not_configured", notConfiguredMessage)),
  };
}
