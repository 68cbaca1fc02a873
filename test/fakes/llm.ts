import type { Server } from "node:http";
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
  keepIdleConnections(mock);
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
      vision: true,
      ...overrides,
    }),
    stop: async () => {
      closeConnections(mock);
      await mock.stop();
    },
  };
}

/** aimock's HTTP server, reached for defensively: aimock does not expose it. */
function serverOf(mock: LLMock): Partial<Server> | undefined {
  return (mock as unknown as { serverInstance?: { server?: Partial<Server> } }).serverInstance?.server;
}

/**
 * Node closes an idle connection after 5 s; a turn whose event loop was held longer (the first
 * calculation loads mathjs) then sends its next call on a connection the server is closing, and
 * gets ECONNRESET (tests allow no retries). Hosted APIs keep connections longer; so does the fake.
 */
function keepIdleConnections(mock: LLMock): void {
  const server = serverOf(mock);
  if (server) server.keepAliveTimeout = 120_000;
}

/**
 * aimock's stop() is server.close(), which waits for every socket; after an aborted call undici
 * may leave one it opened but never used, held for its 4 s keep-alive. aimock does not expose
 * its server, so reach for it defensively and fall back to a plain stop if that ever changes.
 */
function closeConnections(mock: LLMock): void {
  const server = serverOf(mock);
  if (typeof server?.closeAllConnections === "function") server.closeAllConnections();
}
