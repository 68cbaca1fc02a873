import type { Logger } from "pino";
import type { Background } from "../../core/background.js";
import type { ReplyStream } from "../../core/poster.js";
import { type Author, authorName } from "../../core/thread.js";
import type { ToolExecutor } from "../../tools/executor.js";
import { type ToolRegistry, toToolSpec } from "../../tools/registry.js";
import type { ChannelRow, ConversationStore, DeliveryKey } from "../conversation/conversation-store.js";
import { type LlmClient, LlmError } from "../llm/types.js";
import type { MemoryStore } from "../memory/store.js";
import type { MemoryRecord } from "../memory/types.js";
import { buildContext } from "./context-builder.js";
import { holdReply } from "./held-reply.js";
import { runReasoningLoop } from "./reasoning-loop.js";
import { messageTokens } from "./tokens.js";

export interface AssistantSettings {
  model: string;
  maxSteps: number;
  contextTokenBudget: number;
}

export interface AssistantDeps {
  llm: LlmClient;
  memory: MemoryStore;
  conversations: ConversationStore;
  tools: ToolRegistry;
  executor: ToolExecutor;
  settings: AssistantSettings;
  background: Background;
  log: Logger;
}

export interface Turn {
  conversationId: string;
  /** The id the reply is stored under. */
  replyId: string;
  author: Author;
  text: string;
  /** The stored user message's `seq`: the history this turn sees ends there, not at messages queued behind it. */
  userSeq: number;
  /** The message opened its thread, so its history is the message alone. */
  opened?: boolean;
  /** What `recall()` found while the message was being stored; recalled in the turn when absent. */
  recalled?: Promise<MemoryRecord[]>;
  /** The delivery that brought the message: the stored reply records how its turn ended. */
  delivery?: DeliveryKey;
}

export interface TurnResult {
  reply: { id: string; text: string };
  toolCalls: { name: string; ok: boolean }[];
  ok: boolean;
  promptTokens: number;
  /** Time spent in calls to the model. */
  llmMs: number;
}

// Enough rows to fill any sensible budget; the context builder trims to tokens.
const HISTORY_ROWS = 200;
const RECALL_LIMIT = 6;

/** The assistant of one channel: builds its context, runs the tool loop, streams and stores the answer. */
export class EnhancedAssistant {
  constructor(
    readonly channel: ChannelRow,
    private readonly deps: AssistantDeps,
  ) {}

  get model(): string {
    return this.channel.settings.model ?? this.deps.settings.model;
  }

  systemPrompt(): string {
    const custom = this.channel.settings.systemPrompt;
    const base =
      `You are Quorum, the assistant of the ${this.channel.platform} channel "${this.channel.name}". ` +
      "Several people may talk to you in a thread; each user message starts with the speaker's name, and earlier messages of others come quoted as <message> blocks. " +
      "Answer concisely in Markdown. When someone tells you a fact, decision or preference worth keeping, store it with the remember tool. " +
      "Use tools instead of guessing; say so when you do not know.";
    return custom ? `${base}\n\n${custom}` : base;
  }

  /**
   * The memories a turn on `text` would recall, for a thread known by its platform id: to start
   * before the message is stored. Only right when no earlier turn of the thread is still running.
   */
  recall(text: string, externalThreadId: string): Promise<MemoryRecord[]> {
    return this.deps.memory.recall({ channelId: this.channel.id, externalThreadId, query: text, limit: RECALL_LIMIT });
  }

  async answer(turn: Turn, unheld: ReplyStream): Promise<TurnResult> {
    const { conversations, memory, tools, executor, settings, llm, log } = this.deps;
    // The user's message reaches the disk while the context is gathered and the model answers;
    // nothing of the answer is shown before it is there. If it cannot get there, the turn stops
    // (no more tool calls) and fails with that error, storing and showing nothing.
    const flushed = conversations.flush();
    const stream = holdReply(unheld, flushed);
    const unflushed = new AbortController();
    flushed.catch(() => unflushed.abort());
    const [history, recalled] = await Promise.all([
      turn.opened
        ? [{ role: "user" as const, author: authorName(turn.author), content: turn.text, tokens: messageTokens(turn.text) }]
        : conversations.history(turn.conversationId, turn.userSeq, HISTORY_ROWS),
      turn.recalled ??
        memory.recall({ channelId: this.channel.id, conversationId: turn.conversationId, query: turn.text, limit: RECALL_LIMIT }),
    ]);
    const context = buildContext({
      systemPrompt: this.systemPrompt(),
      memories: recalled,
      history,
      budget: settings.contextTokenBudget,
    });
    const author = tools.caller(this.channel.platform, turn.author);
    const available = tools.forCaller(this.channel, author);
    const toolContext = { channelId: this.channel.id, conversationId: turn.conversationId, author };
    const timed = timedLlm(llm);

    let outcome: { text: string; toolCalls: TurnResult["toolCalls"]; promptTokens?: number; completionTokens?: number; error?: string };
    try {
      const result = await runReasoningLoop({
        llm: timed.llm,
        model: this.model,
        messages: context.messages,
        tools: available.map(toToolSpec),
        maxSteps: settings.maxSteps,
        onDelta: (delta) => stream.append(delta),
        signal: unflushed.signal,
        runTool: (call) =>
          executor.execute(
            available.find((tool) => tool.name === call.name),
            call,
            toolContext,
          ),
      });
      const text = result.text.trim() === "" ? "(The model returned an empty answer. Try rephrasing the question.)" : result.text;
      outcome = { text, toolCalls: result.toolCalls, ...result.usage };
    } catch (error) {
      outcome = { text: failureText(error), toolCalls: [], error: error instanceof LlmError ? error.kind : "internal" };
      if (error instanceof LlmError && error.kind === "not_configured")
        log.info({ channel: this.channel.id }, "no LLM configured; told the user what to set");
      else log.warn({ err: error, channel: this.channel.id }, "turn failed");
    }
    const { text, toolCalls, promptTokens, completionTokens, error } = outcome;
    await flushed;
    // The final text goes out once the reply is stored: whoever is told the answer is done can read
    // it from the thread, and a redelivery finds the turn settled.
    await conversations.addMessage({
      id: turn.replyId,
      conversationId: turn.conversationId,
      role: "assistant",
      author: "assistant",
      content: text,
      promptTokens,
      completionTokens,
      error,
      settles: turn.delivery,
    });
    await stream.finish(text, error ? { error } : undefined);
    if (!error)
      this.deps.background.run("episodic memory", () =>
        memory.remember({
          channelId: this.channel.id,
          kind: "episodic",
          author: "assistant",
          content: `${authorName(turn.author)} said: ${clip(turn.text, 600)}\nYou answered: ${clip(text, 600)}`,
        }),
      );
    return { reply: { id: turn.replyId, text }, toolCalls, ok: !error, promptTokens: context.tokens, llmMs: timed.elapsedMs() };
  }
}

/** The client, counting the time its calls take. */
function timedLlm(llm: LlmClient): { llm: LlmClient; elapsedMs(): number } {
  let elapsed = 0;
  return {
    llm: {
      model: llm.model,
      async complete(request) {
        const started = performance.now();
        try {
          return await llm.complete(request);
        } finally {
          elapsed += performance.now() - started;
        }
      },
    },
    elapsedMs: () => elapsed,
  };
}

/** A short warning for the thread, never silence; it says what to do. */
function failureText(error: unknown): string {
  if (error instanceof LlmError && error.kind === "not_configured") return `⚠️ I could not answer: ${error.message}`;
  const reason = error instanceof LlmError ? error.message : "an unexpected error.";
  return `⚠️ I could not answer: ${reason} Please try again in a moment.`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
