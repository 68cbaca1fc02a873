import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });
const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();

export type ChannelSettings = {
  systemPrompt?: string;
  model?: string;
  /** Tool names this channel may use; absent means every tool. */
  allowedTools?: string[];
  deniedTools?: string[];
};

export const channels = pgTable(
  "channels",
  {
    id: text("id").primaryKey(),
    platform: text("platform").notNull(),
    externalId: text("external_id").notNull(),
    name: text("name").notNull(),
    settings: jsonb("settings").$type<ChannelSettings>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("channels_platform_external").on(t.platform, t.externalId)],
);

export const conversations = pgTable(
  "conversations",
  {
    id: text("id").primaryKey(),
    channelId: text("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    externalThreadId: text("external_thread_id").notNull(),
    title: text("title").notNull().default(""),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("conversations_channel_thread").on(t.channelId, t.externalThreadId),
    index("conversations_channel_updated").on(t.channelId, t.updatedAt),
  ],
);

/** A tool a turn used, as its reply is shown: the name and whether it ran (no arguments or results). */
export type StoredToolCall = { name: string; ok: boolean };

export const messages = pgTable(
  "messages",
  {
    id: text("id").primaryKey(),
    conversationId: text("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["user", "assistant", "tool"] }).notNull(),
    author: text("author").notNull(),
    content: text("content").notNull(),
    /** On a reply: the tools its turn used, shown under it after a reload. */
    toolCalls: jsonb("tool_calls").$type<StoredToolCall[]>(),
    toolCallId: text("tool_call_id"),
    /** Tokens of this message as the context builder counts them. */
    tokens: integer("tokens").notNull(),
    /** Usage the LLM reported for the call that produced this message. */
    promptTokens: integer("prompt_tokens"),
    completionTokens: integer("completion_tokens"),
    error: text("error"),
    createdAt: createdAt(),
    seq: bigint("seq", { mode: "number" }).generatedAlwaysAsIdentity(),
  },
  (t) => [index("messages_conversation_seq").on(t.conversationId, t.seq)],
);

export const memoryKinds = ["working", "episodic", "semantic", "procedural"] as const;
export type MemoryKind = (typeof memoryKinds)[number];

export const memories = pgTable(
  "memories",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    channelId: text("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    /** Set for working memory, which belongs to one thread. */
    conversationId: text("conversation_id").references(() => conversations.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: memoryKinds }).notNull(),
    content: text("content").notNull(),
    /** Who taught it (the speaker's name; "assistant" for what the bot kept itself); null on rows from before authors were kept. */
    author: text("author"),
    importance: real("importance").notNull().default(0.5),
    accessCount: integer("access_count").notNull().default(0),
    lastAccessedAt: timestamp("last_accessed_at", { withTimezone: true }).notNull().defaultNow(),
    createdAt: createdAt(),
    search: tsvector("search").notNull().generatedAlwaysAs(sql`to_tsvector('english'::regconfig, "content")`),
    /** Set when a taught fact was forgotten (by capacity or by a person): kept, restorable, for FORGOTTEN_DAYS. */
    forgottenAt: timestamp("forgotten_at", { withTimezone: true }),
  },
  (t) => [
    index("memories_search").using("gin", t.search),
    index("memories_channel_kind").on(t.channelId, t.kind, t.createdAt),
    // Recall's full-text index: per-channel keys (function from migration 0002), so posting
    // lists stay within a channel; see src/agents/memory/store.ts. Without fastupdate: recall runs
    // several GIN scans per question and each would read the whole pending list.
    index("memories_search_keys").using("gin", sql`memory_search_keys(${t.channelId}, ${t.search})`).with({ fastupdate: false }),
    // Recall's window of a channel's latest memories, and the capped counts of capacity and small channels.
    index("memories_channel_recent").on(t.channelId, t.id).where(sql`${t.forgottenAt} is null`),
    // The channel's forgotten facts, to list, restore and purge.
    index("memories_channel_forgotten").on(t.channelId, t.forgottenAt).where(sql`${t.forgottenAt} is not null`),
    // One row per content in a channel and kind (and thread, for working memory): remember()
    // dedupes through it with ON CONFLICT. md5 as uuid keeps long contents under the btree limit.
    uniqueIndex("memories_dedupe").on(t.channelId, t.kind, sql`coalesce(${t.conversationId}, '')`, sql`(md5(${t.content})::uuid)`),
  ],
);

export const processedEvents = pgTable(
  "processed_events",
  {
    platform: text("platform").notNull(),
    eventId: text("event_id").notNull(),
    processedAt: timestamp("processed_at", { withTimezone: true }).notNull().defaultNow(),
    /** The user message the delivery stored; null on rows from before turns had outcomes (taken as answered). */
    messageId: text("message_id"),
    /** null while a turn for it runs (or its process died), then how the last turn ended. */
    outcome: text("outcome", { enum: ["ok", "failed"] }),
    /** The last turn's stored reply. */
    replyId: text("reply_id"),
    /** When the running turn last said it is alive; an old one means its process died. */
    claimedAt: timestamp("claimed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.platform, t.eventId] }),
    // Turns not ended, which later messages of their threads wait for (ConversationStore.unsettledBefore).
    index("processed_events_unsettled").on(t.messageId).where(sql`${t.outcome} is null and ${t.messageId} is not null`),
  ],
);

export const toolCalls = pgTable(
  "tool_calls",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    channelId: text("channel_id").references(() => channels.id, { onDelete: "set null" }),
    conversationId: text("conversation_id").references(() => conversations.id, { onDelete: "set null" }),
    callId: text("call_id").notNull(),
    toolName: text("tool_name").notNull(),
    arguments: jsonb("arguments").$type<unknown>(),
    ok: boolean("ok").notNull(),
    result: text("result").notNull(),
    durationMs: integer("duration_ms").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("tool_calls_tool_created").on(t.toolName, t.createdAt)],
);

export const projects = pgTable(
  "projects",
  {
    id: text("id").primaryKey(),
    channelId: text("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    conversationId: text("conversation_id").references(() => conversations.id, { onDelete: "set null" }),
    goal: text("goal").notNull(),
    status: text("status").notNull().default("planning"),
    createdBy: text("created_by").notNull(),
    /** The creator's role when the project started; its tasks run tools with it, whatever changes later. */
    creatorRole: text("creator_role", { enum: ["member", "admin"] })
      .notNull()
      .default("member"),
    /** The creator's display name when the project started, for the prompts of calls that wait for them. */
    creatorName: text("creator_name"),
    /** Where the project posts: the platform thread of its conversation, and its status message there. */
    thread: text("thread").notNull(),
    statusMessageId: text("status_message_id"),
    /** The task whose result is the report. */
    reportTask: text("report_task"),
    /** How the plan came about when the coordinator's own plan was not used as it was. */
    planNote: text("plan_note"),
    report: text("report"),
    reportPostedAt: timestamp("report_posted_at", { withTimezone: true }),
    error: text("error"),
    /**
     * Time spent with a task waiting for a person, which PROJECT_TIMEOUT_MS does not count: the
     * waits that ended, and since when one is going on now (null when no task waits).
     */
    waitedMs: bigint("waited_ms", { mode: "number" }).notNull().default(0),
    waitingSince: timestamp("waiting_since", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("projects_channel_created").on(t.channelId, t.createdAt), index("projects_status").on(t.status)],
);

export const projectTasks = pgTable(
  "project_tasks",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    description: text("description").notNull(),
    specialist: text("specialist").notNull(),
    capabilities: jsonb("capabilities").$type<string[]>().notNull().default([]),
    complexity: text("complexity").notNull().default("medium"),
    dependsOn: jsonb("depends_on").$type<string[]>().notNull().default([]),
    status: text("status").notNull().default("pending"),
    result: text("result"),
    error: text("error"),
    attempts: integer("attempts").notNull().default(0),
    /**
     * The approval (tool_approvals) the task waits on, or, once decided, goes on from; only that
     * approval's job may take the task up again. Null for a task that never waited.
     */
    approvalId: text("approval_id"),
    /** When the task was done with its summary reply in the thread; null when that summary could not be posted. */
    summaryPostedAt: timestamp("summary_posted_at", { withTimezone: true }),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.key] }),
    // Every plan counts the running tasks per specialist: without this, a scan of every task ever.
    index("project_tasks_running").on(t.specialist).where(sql`${t.status} = 'running'`),
  ],
);

export const agentMessages = pgTable(
  "agent_messages",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    fromAgent: text("from_agent").notNull(),
    toAgent: text("to_agent").notNull(),
    kind: text("kind").notNull(),
    content: text("content").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("agent_messages_project").on(t.projectId, t.id)],
);

/**
 * The web console's login sessions. Only a hash of the id the browser holds is stored, so the
 * table's rows cannot be replayed as cookies; `tokenFingerprint` ties each session to the console
 * token that made it, so rotating CONSOLE_TOKEN ends them.
 */
export const consoleSessions = pgTable(
  "console_sessions",
  {
    idHash: text("id_hash").primaryKey(),
    tokenFingerprint: text("token_fingerprint").notNull(),
    createdAt: createdAt(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("console_sessions_last_seen").on(t.lastSeenAt)],
);

export const approvalStates = ["pending", "approved", "denied", "expired"] as const;
export type ApprovalState = (typeof approvalStates)[number];

/**
 * Tool calls waiting for a person's yes, and the paused turns behind them. `turn` holds what the
 * turn needs to go on in any process (its messages so far and the calls left); `resumed` says it
 * went on past this decision, so a decision whose process died before then is taken up again.
 */
export const toolApprovals = pgTable(
  "tool_approvals",
  {
    id: text("id").primaryKey(),
    channelId: text("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    /** The paused turn's conversation; null for a project's task, which `turn` names. */
    conversationId: text("conversation_id").references(() => conversations.id, { onDelete: "cascade" }),
    /** The thread on its platform, where the prompt is and the turn goes on. */
    platform: text("platform").notNull(),
    channel: text("channel").notNull(),
    thread: text("thread").notNull(),
    askerId: text("asker_id").notNull(),
    askerName: text("asker_name").notNull(),
    tool: text("tool").notNull(),
    /** The call's arguments with secrets hidden, as shown to the person deciding. */
    arguments: jsonb("arguments").$type<unknown>().notNull(),
    turn: jsonb("turn").$type<unknown>().notNull(),
    state: text("state", { enum: approvalStates }).notNull().default("pending"),
    decidedBy: text("decided_by"),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** The platform's id of the message with the buttons, to show the decision on it. */
    promptMessageId: text("prompt_message_id"),
    resumed: boolean("resumed").notNull().default(false),
    /** When a process last said it is resuming the turn; null before anyone took it up. */
    claimedAt: timestamp("claimed_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index("tool_approvals_pending").on(t.expiresAt).where(sql`${t.state} = 'pending'`),
    index("tool_approvals_unresumed").on(t.decidedAt).where(sql`${t.state} <> 'pending' and not ${t.resumed}`),
  ],
);

/**
 * Every model call's tokens, with what spent them: a chat turn (`message_id`, the id its reply is
 * stored under) or a project's step (`project_id`, and `task_key` for a task; null for planning
 * and summaries). Neither is a foreign key: a turn's calls are recorded before its reply is stored.
 */
export const llmUsage = pgTable(
  "llm_usage",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    channelId: text("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    messageId: text("message_id"),
    projectId: text("project_id"),
    taskKey: text("task_key"),
    model: text("model").notNull(),
    promptTokens: integer("prompt_tokens").notNull(),
    completionTokens: integer("completion_tokens").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index("llm_usage_channel_created").on(t.channelId, t.createdAt),
    index("llm_usage_project").on(t.projectId).where(sql`${t.projectId} is not null`),
  ],
);

/**
 * A channel's tokens per UTC day, for CHANNEL_DAILY_TOKENS: what calls spent (`tokens`, kept with
 * each llm_usage row) and what turns in flight hold (`reserved`). One row per channel and day, so
 * one conditional upsert admits a turn or not, across processes. A reservation whose process died
 * lapses at `reserved_until`.
 */
export const channelUsageDays = pgTable(
  "channel_usage_days",
  {
    channelId: text("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    day: date("day").notNull(),
    tokens: bigint("tokens", { mode: "number" }).notNull().default(0),
    reserved: bigint("reserved", { mode: "number" }).notNull().default(0),
    reservedUntil: timestamp("reserved_until", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.day] })],
);
