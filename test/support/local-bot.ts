import { randomUUID } from "node:crypto";
import type { ConsoleEvent } from "../../src/adapters/web/events.js";
import { WebPoster } from "../../src/adapters/web/poster.js";
import { ApprovalFlow } from "../../src/agents/approvals/approval-flow.js";
import { ApprovalStore } from "../../src/agents/approvals/approval-store.js";
import { ConversationStore } from "../../src/agents/conversation/conversation-store.js";
import { MemoryStore } from "../../src/agents/memory/store.js";
import { UsageLedger } from "../../src/agents/usage/ledger.js";
import { UsageStore } from "../../src/agents/usage/usage-store.js";
import { loadConfig } from "../../src/config.js";
import { Background } from "../../src/core/background.js";
import type { ApprovalDecisionResult } from "../../src/core/bot.js";
import { ThreadQueue } from "../../src/core/thread-queue.js";
import type { Database } from "../../src/db/client.js";
import { builtinTools } from "../../src/tools/builtin/index.js";
import type { Tool } from "../../src/tools/define.js";
import { ToolExecutor } from "../../src/tools/executor.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { createLogger } from "../../src/wiring/log.js";
import { type RoutedMessage, Router } from "../../src/wiring/router.js";
import { channelAssistants } from "../../src/wiring/services.js";
import { scratchPglite } from "./databases.js";
import { ScriptedLlm } from "./scripted-llm.js";

/**
 * The bot of the web console in one process, for unit tests of the assistant and the commands:
 * the router, the channel assistants, the built-in tools and the commands wired as startApp
 * wires them, over PGlite in memory and the scripted model. No HTTP server, Redis (rate limits
 * are counted in-process), MCP servers or background projects.
 */
export interface LocalBot {
  database: Database;
  conversations: ConversationStore;
  llm: ScriptedLlm;
  /** What the console's browsers would have been sent: reply pieces and final texts. */
  events: ConsoleEvent[];
  /** A message from the console, as POST /api/chat hands it to the bot; undefined for a duplicate. */
  chat(channel: string, text: string, options?: { user?: string; thread?: string; id?: string }): Promise<RoutedMessage | undefined>;
  /** Decisions on calls that wait, and the sweep that expires them; `store` holds them. */
  approvals: ApprovalFlow;
  approvalStore: ApprovalStore;
  /** Each model call's tokens, as the app records them (the scripted model reports its `usage`). */
  usage: UsageLedger;
  router: Router;
  /** The console's poster, whose events land in `events`. */
  poster: WebPoster;
  /** A click on Approve or Deny in the console by `user` (not an admin unless ADMIN_USERS says so). */
  decide(id: string, approve: boolean, user?: string): Promise<ApprovalDecisionResult>;
  /** A command from the console, as POST /api/commands hands it to the bot; the reply's text. */
  command(channel: string, command: string, text: string, user?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * `env` as the app's settings (tools, agent limits); the model is `llm`, a fresh ScriptedLlm by
 * default; `tools` join the built-in ones.
 */
export async function startLocalBot(options: { env?: Record<string, string>; llm?: ScriptedLlm; tools?: Tool[] } = {}): Promise<LocalBot> {
  const config = loadConfig({ LOG_LEVEL: "silent", ...options.env });
  const log = createLogger("silent");
  const llm = options.llm ?? new ScriptedLlm();
  const database = await scratchPglite();
  const { db } = database;
  const background = new Background(log);
  const conversations = new ConversationStore(db, database);
  const memory = new MemoryStore(db, { capacity: config.agent.memoryCapacity, relaxed: database.relaxed });
  const builtins = builtinTools(config.tools, memory);
  const tools = new ToolRegistry([...builtins.tools, ...(options.tools ?? [])], {
    adminUsers: config.adminUsers,
    unavailable: builtins.unavailable,
  });
  const executor = new ToolExecutor(db, { background });
  const approvalStore = new ApprovalStore(db);
  const usage = new UsageLedger(new UsageStore(db), config.usage, log);
  const assistants = channelAssistants(
    { llm: usage.meter(llm), memory, conversations, tools, executor, approvals: approvalStore, background, usage },
    config,
    llm.model,
    log,
  );
  const events: ConsoleEvent[] = [];
  const poster = new WebPoster({ publish: (event) => void events.push(event) });
  const threads = new ThreadQueue();
  const approvals = new ApprovalFlow({
    store: approvalStore,
    conversations,
    assistants,
    threads,
    tools,
    posterFor: (platform) => (platform === "web" ? poster : undefined),
    log,
  });
  // What every command's context holds, whatever the channel.
  const shared = { memory, conversations, tools, executor, toolApproval: config.tools.approval, usage };
  const router = new Router({
    conversations,
    assistants,
    threads,
    approvals,
    log,
    commandContext: async (invocation) => {
      const channel = await conversations.ensureChannel(
        invocation.platform,
        invocation.channel,
        invocation.channelName ?? invocation.channel,
      );
      return { channel, assistant: assistants.for(channel), ...shared };
    },
  });
  return {
    database,
    conversations,
    llm,
    events,
    chat: (channel, text, { user = "ada", thread, id = randomUUID() } = {}) =>
      router.handleMessage(
        { platform: "web", eventId: id, channel, thread, author: { id: user, name: user }, text, receivedAt: new Date() },
        poster,
      ),
    approvals,
    approvalStore,
    usage,
    router,
    poster,
    decide: (id, approve, user = "ada") => router.decideApproval({ platform: "web", id, approve, by: { id: user, name: user } }, poster),
    async command(channel, command, text, user = "ada") {
      const reply = await router.handleCommand({ platform: "web", channel, author: { id: user, name: user }, command, text });
      return reply.text;
    },
    async close() {
      await router.drain();
      await background.drain();
      await database.close();
    },
  };
}
