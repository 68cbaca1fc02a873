import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { ConsoleAccess } from "../adapters/web/access.js";
import { type ConsoleBackend, createWebApi } from "../adapters/web/api.js";
import { EventHub } from "../adapters/web/events.js";
import { WebPoster } from "../adapters/web/poster.js";
import { relayConsoleEvents } from "../adapters/web/relay.js";
import { SessionStore, tokenFingerprint } from "../adapters/web/sessions.js";
import { attachEventSocket } from "../adapters/web/socket.js";
import { ApprovalFlow } from "../agents/approvals/approval-flow.js";
import { promptOf } from "../agents/approvals/approval-store.js";
import { STOPPED } from "../agents/assistant/enhanced-assistant.js";
import { type ConversationStore, channelKey } from "../agents/conversation/conversation-store.js";
import { llmHealthCheck, llmUsable } from "../agents/llm/llm-check.js";
import type { LlmClient } from "../agents/llm/types.js";
import { type Config, missingSettings } from "../config.js";
import type { Poster } from "../core/poster.js";
import type { Platform } from "../core/thread.js";
import { ThreadQueue } from "../core/thread-queue.js";
import type { Database } from "../db/client.js";
import { bullConnection } from "../jobs/queue.js";
import { ShardLeases } from "./discord-shards.js";
import type { Logger } from "./log.js";
import { startProjectSystem } from "./project-system.js";
import { Router } from "./router.js";
import { channelAssistants, openServices } from "./services.js";
import { tracedBot } from "./spans.js";

export interface RunningApp {
  /** Base URL of the HTTP server (web console, its API). */
  url: string;
  /** The console's login link, `PUBLIC_URL` or `url` then `/login?token=`: print it, never log it. */
  loginUrl: string;
  database: Database;
  /** Channels, threads and messages; changing a channel's settings through it is seen at once. */
  conversations: ConversationStore;
  router: Router;
  /** Stops taking messages, finishes the replies in flight, closes everything. */
  close(): Promise<void>;
}

export interface AppOverrides {
  /** A ready LLM client, for tests and benchmarks; by default one is built from config. */
  llm?: LlmClient;
}

/** How often expired approvals, and decided ones whose process died, are taken up. */
const APPROVAL_SWEEP_MS = 15_000;

/** Wires config, database, agents and adapters, and starts serving. */
export async function startApp(config: Config, log: Logger, overrides: AppOverrides = {}): Promise<RunningApp> {
  const services = await openServices(config, log, overrides.llm);
  const { database, redis, llm, conversations, memory, tools, executor } = services;
  const { db } = database;
  const assistants = channelAssistants(services, config, config.llm.model, log);
  const projects = startProjectSystem(
    config,
    {
      db,
      llm,
      tools,
      executor,
      conversations,
      approvals: services.approvals,
      usage: services.usage,
      redis,
      log,
      tracing: services.tracing,
    },
    config.projects.runWorkers,
  );
  const missing = missingSettings(config);
  const llmProblem = config.llm.configured || overrides.llm ? undefined : missing[0];
  // A model given in-process (tests) has no server to ask.
  const checkLlm = overrides.llm ? async () => "ok" : llmHealthCheck(config.llm);
  const threads = new ThreadQueue();
  // Filled once the adapters exist: a decided approval's turn goes on through its platform's poster.
  const posters = new Map<Platform, Poster>();
  const approvals = new ApprovalFlow({
    store: services.approvals,
    conversations,
    assistants,
    threads,
    tools,
    posterFor: (platform) => posters.get(platform),
    // A project's task that waited goes on in the project workers, wherever they run.
    resumeTask: (row) => projects.resumeTask(row),
    log,
  });
  const router = new Router({
    conversations,
    assistants,
    threads,
    approvals,
    log,
    commandContext: async (invocation) => {
      const channel = await conversations.channel(invocation.platform, invocation.channel, invocation.channelName);
      return {
        channel,
        assistant: assistants.for(channel),
        memory,
        conversations,
        tools,
        executor,
        toolApproval: config.tools.approval,
        usage: services.usage,
        llmProblem,
        projects: projects.service,
      };
    },
  });

  const backend: ConsoleBackend = {
    async health() {
      const [dbStatus, redisStatus, llmStatus] = await Promise.all([
        database.ping().then(
          () => "ok",
          (error: unknown) => {
            log.warn({ err: error }, "database health check failed");
            return "down";
          },
        ),
        redis.status(),
        llmProblem ?? checkLlm(),
      ]);
      return {
        status: dbStatus === "ok" && llmUsable(llmStatus) ? "ok" : "degraded",
        db: dbStatus,
        redis: redisStatus,
        llm: llmStatus,
        recall: memory.recallMode.mode,
        missing,
      };
    },
    channels: () => conversations.listChannels("web"),
    async threads(channel) {
      return conversations.listThreads(channelKey("web", channel));
    },
    async hasThread(channel, thread) {
      return (await conversations.findThread(channelKey("web", channel), thread)) !== undefined;
    },
    async messages(thread) {
      const conversation = await conversations.findThreadOnPlatform("web", thread);
      if (!conversation) return undefined;
      const rows = await conversations.messages(conversation.id);
      // A failed turn's reply says so in its text; `failed` lets the console mark it.
      return rows.map((row) => ({
        id: row.id,
        role: row.role,
        author: row.author,
        text: row.content,
        createdAt: row.createdAt,
        ...(row.toolCalls?.length && { toolCalls: row.toolCalls }),
        ...(row.error === null ? {} : row.error === STOPPED ? { stopped: true } : { failed: true }),
      }));
    },
    async reopenLastMessage(thread) {
      const conversation = await conversations.findThreadOnPlatform("web", thread);
      return conversation && conversations.reopenLastMessage(conversation.id);
    },
    async approvals(thread) {
      if (!(await conversations.findThreadOnPlatform("web", thread))) return undefined;
      const rows = await services.approvals.pendingInThread("web", thread);
      return rows.map((row) => ({ ...promptOf(row), state: "pending" as const }));
    },
    async project(id) {
      const project = await projects.service.store.get(id);
      if (!project) return undefined;
      const tasks = await projects.service.store.tasks(id);
      return {
        id: project.id,
        goal: project.goal,
        status: project.status,
        thread: project.thread,
        tasks: tasks.map(({ key, specialist, status, dependsOn }) => ({ key, specialist, status, dependsOn })),
        report: project.report,
        error: project.error,
        reportedAt: project.reportPostedAt,
      };
    },
    async capabilities() {
      const stats = await executor.stats();
      return {
        tools: tools.all().map(({ name, description, category, risk }) => ({
          name,
          description,
          category,
          risk,
          stats: stats.get(name) ?? null,
        })),
        specialists: projects.roster.map(({ name, capabilities }) => ({ name, capabilities })),
      };
    },
    async usage(channel, days) {
      const { promptTokens, completionTokens, costUsd, byModel } = await services.usage.channel(
        channel.includes(":") ? channel : channelKey("web", channel),
        days,
      );
      return { channel, promptTokens, completionTokens, costUsd, byModel };
    },
  };

  const hub = new EventHub();
  const { token, tokenGenerated, publicUrl } = config.console;
  const sessions = new SessionStore(db, tokenFingerprint(token, tokenGenerated));
  // Sessions gone idle, or made under a token since rotated, end here.
  await sessions.prune();
  const access = new ConsoleAccess({ token, publicUrl, bindHost: config.host, sessions, metricsToken: config.console.metricsToken });
  const webPoster = new WebPoster(hub);
  // What the adapters and the API talk to: the router, counted for /metrics and traced.
  const bot = tracedBot(services.metrics.bot(router));
  const metrics = () => services.metrics.scrape();
  const api = createWebApi({ bot, backend, hub, poster: webPoster, enabled: config.webConsole, access, metrics, log });
  // Bolt and discord.js are loaded only where they are used: they are much of a start's time.
  const slack = config.slack ? (await import("../adapters/slack/index.js")).createSlackAdapter(config.slack, bot, log) : undefined;
  const discord = config.discord
    ? (await import("../adapters/discord/index.js")).createDiscordAdapter(config.discord, bot, log, {
        rest: (await import("./discord-global-limit.js")).sharedGlobalLimit(redis.client, config.redisPrefix),
      })
    : undefined;
  // Each gateway shard in one process of those sharing Redis; the others stand by to take it over.
  const shards =
    discord && config.discord
      ? new ShardLeases({ redis: redis.client, prefix: config.redisPrefix, count: config.discord.shardCount, shards: discord, log })
      : undefined;
  posters.set("web", webPoster);
  if (slack) posters.set("slack", slack.poster);
  if (discord) posters.set("discord", discord.poster);
  const web = getRequestListener(api.fetch);
  const slackListener = slack?.listener;
  const server = createServer(slackListener ? (req, res) => (req.url?.startsWith("/slack/") ? slackListener : web)(req, res) : web);
  const sockets = config.webConsole ? attachEventSocket(server, hub, access) : undefined;
  // Project progress comes from workers in any process, through Redis.
  const relay = config.webConsole ? bullConnection(config.redisUrl) : undefined;
  if (relay)
    void relayConsoleEvents(relay, config.redisPrefix, hub, log).catch((error: unknown) =>
      log.warn({ err: error }, "console events from workers are not relayed"),
    );
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await slack?.stop();
      await shards?.stop();
      await discord?.stop();
      await router.drain();
      await projects.close();
      relay?.disconnect();
      sockets?.close();
      await closeServer(server);
      await services.close();
    })();
    return closing;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => resolve());
    });
    await slack?.start();
    await discord?.start();
    await shards?.start();
    approvals.start(APPROVAL_SWEEP_MS);
  } catch (error) {
    // Half started, the process would hold the port, the database and Redis open while serving nothing.
    await close().catch((closeError: unknown) => log.warn({ err: closeError }, "closing after a failed start failed"));
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host === "[::]" ? "[::1]" : host}:${port}`;
  const loginUrl = `${publicUrl ? publicUrl.origin : url}/login?token=${encodeURIComponent(token)}`;
  return { url, loginUrl, database, conversations, router, close };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
