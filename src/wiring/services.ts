import { ApprovalStore } from "../agents/approvals/approval-store.js";
import { AssistantDirectory } from "../agents/assistant/assistant-directory.js";
import { ConversationStore } from "../agents/conversation/conversation-store.js";
import { createLlmClient } from "../agents/llm/index.js";
import { createEmbedder } from "../agents/llm/openai-embedder.js";
import type { LlmClient } from "../agents/llm/types.js";
import { MemoryVectors } from "../agents/memory/memory-vectors.js";
import { MemoryStore } from "../agents/memory/store.js";
import { UsageLedger } from "../agents/usage/ledger.js";
import { UsageStore } from "../agents/usage/usage-store.js";
import type { Config } from "../config.js";
import { Background } from "../core/background.js";
import { type Database, openDatabase } from "../db/client.js";
import { connectRedis, type RedisConnection } from "../jobs/redis.js";
import { builtinTools } from "../tools/builtin/index.js";
import type { ToolExecutor } from "../tools/executor.js";
import { McpConnections } from "../tools/mcp/connections.js";
import { RedisRateLimiter } from "../tools/rate-limiter.js";
import { ToolRegistry } from "../tools/registry.js";
import type { Logger } from "./log.js";
import { Metrics } from "./metrics.js";
import { TracedToolExecutor, tracedLlm } from "./spans.js";
import { startTracing, type Tracing } from "./tracing.js";

/** What the bot and its workers share: storage, the model, memory and the tools. */
export interface Services {
  database: Database;
  redis: RedisConnection;
  llm: LlmClient;
  conversations: ConversationStore;
  memory: MemoryStore;
  tools: ToolRegistry;
  executor: ToolExecutor;
  /** Tool calls waiting for a person, and the turns paused behind them. */
  approvals: ApprovalStore;
  /** Each model call's tokens and cost, and the channels' daily budgets. */
  usage: UsageLedger;
  /** Prometheus metrics of this process; the model and the executor report to it. */
  metrics: Metrics;
  /** Present when spans are exported (OTEL_EXPORTER_OTLP_ENDPOINT); close() flushes them last. */
  tracing: Tracing | undefined;
  /** Bookkeeping off the reply path; close() waits for it. */
  background: Background;
  close(): Promise<void>;
}

/** Opens the database (applying migrations), Redis, the LLM client, the tools and MCP servers. */
export async function openServices(config: Config, log: Logger, llm?: LlmClient): Promise<Services> {
  const tracing = await startTracing(config.tracing, log);
  const database = await openDatabase(config.database);
  const { db } = database;
  const redis = connectRedis(config.redisUrl);
  const background = new Background(log);
  const { model: embeddingModel, ...embedding } = config.embeddings;
  const recall = await MemoryVectors.open(db, embeddingModel ? createEmbedder({ ...embedding, model: embeddingModel }) : undefined, log);
  const memory = new MemoryStore(db, {
    capacity: config.agent.memoryCapacity,
    relaxed: database.relaxed,
    recall,
    // PGlite runs no autovacuum.
    selfAnalyze: database.engine === "pglite",
  });
  const builtins = builtinTools(config.tools, memory);
  const tools = new ToolRegistry(builtins.tools, { adminUsers: config.adminUsers, unavailable: builtins.unavailable });
  const mcp = new McpConnections(tools, log);
  await mcp.start(config.tools.mcpServers);
  const metrics = new Metrics(db);
  const usage = new UsageLedger(new UsageStore(database.relaxed), config.usage, log);
  return {
    database,
    redis,
    llm: tracedLlm(metrics.llm(usage.meter(llm ?? createLlmClient(config.llm))), config.llm.baseURL),
    usage,
    conversations: new ConversationStore(db, database),
    memory,
    approvals: new ApprovalStore(db),
    tools,
    executor: new TracedToolExecutor(db, {
      limiter: new RedisRateLimiter(redis.client, config.redisPrefix),
      background,
      onCall: (tool, ok) => metrics.toolCall(tool, ok),
    }),
    metrics,
    tracing,
    background,
    async close() {
      try {
        await background.drain();
        await recall.vectors?.close();
        await mcp.close();
        await redis.close();
        await database.close();
      } finally {
        // Last, so the spans of the work finished above are exported too.
        await tracing?.close();
      }
    },
  };
}

/** The channels' assistants over the services, asking `model` within the agent's limits from config. */
export function channelAssistants(
  services: Pick<Services, "llm" | "memory" | "conversations" | "tools" | "executor" | "approvals" | "background" | "usage">,
  config: Pick<Config, "agent" | "tools" | "llm">,
  model: string,
  log: Logger,
): AssistantDirectory {
  const { llm, memory, conversations, tools, executor, approvals, background, usage } = services;
  const { maxSteps, contextTokenBudget } = config.agent;
  const settings = { model, maxSteps, contextTokenBudget, approval: config.tools.approval, vision: config.llm.vision };
  return new AssistantDirectory({ llm, memory, conversations, tools, executor, approvals, settings, background, usage, log });
}
