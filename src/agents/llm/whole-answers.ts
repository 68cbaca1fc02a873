import type { LlmClient } from "./types.js";

/**
 * `llm` for callers whose answers nobody watches arrive (a project's coordinator and specialists):
 * each call asks for the whole answer at once, which costs less to receive than a stream.
 */
export function wholeAnswers(llm: LlmClient): LlmClient {
  return {
    get model() {
      return llm.model;
    },
    complete: (request) => llm.complete({ ...request, stream: false }),
  };
}
