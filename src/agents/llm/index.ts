import type { Config } from "../../config.js";
import { createOpenAiClient } from "./openai-client.js";
import type { LlmClient } from "./types.js";
import { createUnconfiguredClient } from "./unconfigured-client.js";

/** The real client when settings name a server or key; otherwise one that explains what to set. */
export function createLlmClient(settings: Config["llm"]): LlmClient {
  return settings.configured ? createOpenAiClient(settings) : createUnconfiguredClient(settings.model);
}
