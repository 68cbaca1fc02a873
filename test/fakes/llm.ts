import { LLMock, type MockServerOptions } from "@copilotkit/aimock";
import type { Config } from "../../src/config.js";

export interface FakeLlm {
  /** The aimock server: add fixtures, queue errors, read the request journal. */
  mock: LLMock;
  /** Base URL for an OpenAI client, ending in /v1. */
  url: string;
  /** LLM settings pointing at this server; fast-failing defaults, overridable per test. */
  settings(overrides?: Partial<Config["llm"]>): Config["llm"];
  stop(): Promise<void>;
}

export const fakeApiKey = "sk-fake-test-key-0123456789";

/** An OpenAI-compatible chat server on loopback, backed by @copilotkit/aimock. */
export async function startFakeLlm(options: MockServerOptions = {}): Promise<FakeLlm> {
  const mock = new LLMock({ host: "127.0.0.1", port: 0, logLevel: "silent", ...options });
  await mock.start();
  const url = `${mock.url}/v1`;
  return {
    mock,
    url,
    settings: (overrides = {}) => ({
      configured: true,
      apiKey: fakeApiKey,
      baseURL: url,
      model: "fake-model",
      timeoutMs: 10_000,
      maxRetries: 0,
      ...overrides,
    }),
    stop: () => mock.stop(),
  };
}
