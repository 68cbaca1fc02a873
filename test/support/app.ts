import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatCompletionRequest } from "@copilotkit/aimock";
import { loadConfig, secretValues } from "../../src/config.js";
import { type RunningApp, startApp } from "../../src/wiring/app.js";
import { createLogger } from "../../src/wiring/log.js";
import { type FakeLlm, startFakeLlm } from "../fakes/llm.js";
import { copyPgliteTemplate } from "./pglite-template.js";
import type { ScriptedReply } from "./scripted-llm.js";

export interface TestApp {
  app: RunningApp;
  llm: FakeLlm;
  dataDir: string;
  /** CONSOLE_TOKEN; post() and get() send it as a bearer token. */
  token: string;
  /** The headers post() and get() send: `Authorization: Bearer <token>`. */
  auth: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: each test reads the fields its route answers
  post(path: string, body: unknown): Promise<{ status: number; json: any }>;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  get(path: string): Promise<{ status: number; json: any }>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real app on a free port, PGlite in a temporary folder, the LLM a fake server on loopback.
 * The folder starts as a copy of the migrated template cluster (./pglite-template.ts): the app
 * opens it as it opens any existing database, without seconds of initdb and migrations.
 */
export async function startTestApp(env: Record<string, string | undefined> = {}, options: { logLines?: string[] } = {}): Promise<TestApp> {
  const llm = await startFakeLlm();
  const dataDir = mkdtempSync(join(tmpdir(), "quorum-test-"));
  if (env.DATABASE_URL === undefined) copyPgliteTemplate(join(dataDir, "pglite"));
  // Each app its own Redis namespace: tests share one Redis and must not take each other's jobs.
  const redisPrefix = `qtest-${randomBytes(4).toString("hex")}`;
  const token = env.CONSOLE_TOKEN ?? `test-token-${randomBytes(12).toString("hex")}`;
  const auth = { authorization: `Bearer ${token}` };
  // A setting given as undefined is left out, as if it were not set.
  const settings = (): Record<string, string> =>
    withoutUnset({
      PORT: "0",
      PGLITE_DIR: join(dataDir, "pglite"),
      OPENAI_API_KEY: "sk-test",
      OPENAI_BASE_URL: llm.url,
      LLM_MODEL: "fake-model",
      LLM_MAX_RETRIES: "0",
      LLM_TIMEOUT_MS: "5000",
      LOG_LEVEL: "silent",
      REDIS_PREFIX: redisPrefix,
      CONSOLE_TOKEN: token,
      // Tests see the 👀 of every turn, however quick; slack-e2e tests the delay itself.
      ACK_REACTION_DELAY_MS: "0",
      ...env,
    });
  const config = () => loadConfig(settings());
  // With logLines, the app logs at its LOG_LEVEL into them, scrubbed of its secrets as main.ts does.
  const { logLines } = options;
  const log = logLines
    ? createLogger(config().logLevel, secretValues(config(), settings()), { write: (line: string) => void logLines.push(line) })
    : createLogger("silent");
  const handle: TestApp = {
    app: await startApp(config(), log),
    llm,
    dataDir,
    token,
    auth,
    async post(path, body) {
      const response = await fetch(handle.app.url + path, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      return { status: response.status, json: await response.json() };
    },
    async get(path) {
      const response = await fetch(handle.app.url + path, { headers: auth });
      return { status: response.status, json: await response.json() };
    },
    async restart() {
      await handle.app.close();
      handle.app = await startApp(config(), log);
    },
    async stop() {
      await handle.app.close();
      await llm.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

function withoutUnset(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** What the fake LLM server can be scripted to say: the scripted model's replies, over HTTP. */
export type FakeReply = Exclude<ScriptedReply, { error: unknown }>;

/**
 * Makes the fake LLM server answer every chat request with `brain(request)`, which sees the
 * request as it went over the wire. The same replies as the in-process ScriptedLlm
 * (./scripted-llm.ts) minus errors, pieces and delays, for which aimock has its own options.
 */
export function scriptLlm(llm: FakeLlm, brain: (request: ChatCompletionRequest) => FakeReply | Promise<FakeReply>): void {
  llm.mock.clearFixtures();
  llm.mock.addFixture({ match: { predicate: () => true }, response: async (request) => overHttp(await brain(request)) });
}

type OverHttp = ({ content: string } | { toolCalls: { name: string; arguments: string; id?: string }[] }) & {
  /** What the final chunk reports when the request asks for `stream_options.include_usage`, as OpenAI does. */
  usage?: { prompt_tokens: number; completion_tokens: number };
};

function overHttp(reply: FakeReply): OverHttp {
  if (typeof reply === "string") return { content: reply };
  if (reply.chunkSize !== undefined || reply.delayMs !== undefined || reply.finishReason !== undefined)
    throw new Error("scriptLlm: set pieces, delays and finish reasons with aimock's fixture options");
  // Without `usage`, aimock reports an estimate (a token per 4 characters).
  const usage = reply.usage && { usage: { prompt_tokens: reply.usage.promptTokens, completion_tokens: reply.usage.completionTokens } };
  if (reply.toolCalls?.length)
    return {
      toolCalls: reply.toolCalls.map((call) => ({
        name: call.name,
        arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments ?? {}),
        ...(call.id && { id: call.id }),
      })),
      ...usage,
    };
  return { content: reply.content ?? "", ...usage };
}
