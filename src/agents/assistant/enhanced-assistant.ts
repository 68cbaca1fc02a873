import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Attachment } from "../../core/attachment.js";
import type { Background } from "../../core/background.js";
import type { ReplyStream, TurnOutput } from "../../core/poster.js";
import { type Author, authorName, type ThreadRef } from "../../core/thread.js";
import { shownArguments } from "../../core/tool-call.js";
import { type ApprovalSetting, needsApproval } from "../../tools/approval-policy.js";
import type { ToolExecutor } from "../../tools/executor.js";
import { type ToolRegistry, toToolSpec } from "../../tools/registry.js";
import { type ApprovalRow, type ApprovalStore, promptOf } from "../approvals/approval-store.js";
import type { ChannelRow, ConversationStore, DeliveryKey } from "../conversation/conversation-store.js";
import { type LlmClient, LlmError, type ToolCallRequest } from "../llm/types.js";
import { displacedNote } from "../memory/capacity.js";
import type { MemoryStore } from "../memory/store.js";
import type { MemoryRecord } from "../memory/types.js";
import { BUDGET_SPENT, type UsageLedger } from "../usage/ledger.js";
import { type UsageScope, withUsageScope } from "../usage/usage-scope.js";
import { type ReadAttachments, readAttachments, skippedNote } from "./attachments.js";
import { buildContext, type HistoryMessage } from "./context-builder.js";
import { holdReply } from "./held-reply.js";
import type { PausedTurn, TurnOrder } from "./paused-turn.js";
import {
  type Decision,
  type LoopInput,
  type LoopOutcome,
  type LoopState,
  resumeReasoningLoop,
  runReasoningLoop,
} from "./reasoning-loop.js";
import { messageTokens } from "./tokens.js";
import { failureKind, failureSentence, sayFailed, ToolFailedError, watchFinish } from "./turn-failure.js";

export interface AssistantSettings {
  model: string;
  maxSteps: number;
  contextTokenBudget: number;
  /** Which tool risks wait for a person's yes (`TOOL_APPROVAL`). */
  approval: ApprovalSetting;
  /** Whether attached images are sent to the model (`LLM_VISION`); on unless false. */
  vision?: boolean;
}

export interface AssistantDeps {
  llm: LlmClient;
  memory: MemoryStore;
  conversations: ConversationStore;
  tools: ToolRegistry;
  executor: ToolExecutor;
  settings: AssistantSettings;
  approvals: ApprovalStore;
  background: Background;
  /** Records each call's tokens and holds turns to CHANNEL_DAILY_TOKENS; absent: neither. */
  usage?: UsageLedger;
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
  /** The stored user message's id: what is read of its attachments is stored with it. */
  messageId?: string;
  /** Files attached to the message, read at the start of the turn (attachments.ts). */
  attachments?: Attachment[];
  /** The message opened its thread, so its history is the message alone. */
  opened?: boolean;
  /** A top-level message of a DM: its history is the DM's recent conversation, across its threads. */
  direct?: boolean;
  /** The message this one replies to, quoted to the model as its author's words. */
  quoted?: { author: string; text: string };
  /** What `recall()` found while the message was being stored; recalled in the turn when absent. */
  recalled?: Promise<MemoryRecord[]>;
  /** The delivery that brought the message: the stored reply records how its turn ended. */
  delivery?: DeliveryKey;
  /** A person stopped the turn: the model call is aborted and what was said so far is the reply. */
  stop?: AbortSignal;
}

/** `messages.error` of a reply whose turn a person stopped: its text is what was said until then. */
export const STOPPED = "stopped";

export interface TurnResult {
  /** The answer; when the turn waits for a person, the message in the thread that says so. */
  reply: { id: string; text: string };
  /** The call the turn waits on; the turn goes on once someone decides (see `resume`). */
  pendingApproval?: { id: string; tool: string; args: unknown };
  toolCalls: { name: string; ok: boolean }[];
  ok: boolean;
  promptTokens: number;
  /** Time spent in calls to the model. */
  llmMs: number;
}

// Enough rows to fill any sensible budget; the context builder trims to tokens.
const HISTORY_ROWS = 200;
/** How far back a DM's conversation reaches for a top-level message in it. */
const DIRECT_HISTORY_MS = 24 * 3_600_000;
const RECALL_LIMIT = 6;
/** Held under CHANNEL_DAILY_TOKENS for a turn's answer beyond its prompt, until its real usage is known. */
const ANSWER_ALLOWANCE = 1_000;

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

  /**
   * Answers a turn in its thread. A turn that throws before its reply is stored and shown (the
   * database, the platform) says in the thread that it failed, when the platform takes it, and
   * throws on; a failure of the model is the reply itself.
   */
  answer(turn: Turn, out: TurnOutput): Promise<TurnResult> {
    return this.#telling(out, (watched) => this.#answer(turn, watched));
  }

  async #answer(turn: Turn, out: TurnOutput): Promise<TurnResult> {
    const { conversations, memory, settings, llm } = this.deps;
    // The user's message reaches the disk while the context is gathered and the model answers;
    // nothing of the answer is shown before it is there. If it cannot get there, the turn stops
    // (no more tool calls) and fails with that error, storing and showing none of its answer.
    const flushed = conversations.flush();
    const stream = holdReply(out.stream, flushed);
    const unflushed = new AbortController();
    flushed.catch(() => unflushed.abort());
    const [thread, recalled, files] = await Promise.all([
      turn.direct
        ? conversations.recentInChannel(this.channel.id, turn.conversationId, turn.userSeq, DIRECT_HISTORY_MS, HISTORY_ROWS)
        : turn.opened
          ? [{ role: "user" as const, author: authorName(turn.author), content: turn.text, tokens: messageTokens(turn.text) }]
          : conversations.history(turn.conversationId, turn.userSeq, HISTORY_ROWS),
      turn.recalled ??
        memory.recall({ channelId: this.channel.id, conversationId: turn.conversationId, query: turn.text, limit: RECALL_LIMIT }),
      this.#readAttachments(turn),
    ]);
    const history = files ? withFiles(thread, turn.text, files) : thread;
    // The stored message gets what was read (text, markers), never the bytes: later turns see the
    // text and that there was an image, and do not send the image again.
    const storedFiles =
      files && turn.messageId
        ? conversations
            .updateMessage(turn.messageId, history[0]!.content)
            .catch((error: unknown) =>
              this.deps.log.warn({ err: error, channel: this.channel.id }, "what was read of the files was not stored"),
            )
        : undefined;
    const context = buildContext({
      systemPrompt: this.systemPrompt(),
      memories: recalled,
      history,
      quoted: turn.quoted,
      ...(files?.images.length ? { images: files.images } : {}),
      budget: settings.contextTokenBudget,
    });
    const timed = timedLlm(llm);
    const signal = turn.stop ? AbortSignal.any([unflushed.signal, turn.stop]) : unflushed.signal;
    const spent = await this.#spending(turn.replyId, context.tokens + ANSWER_ALLOWANCE, () =>
      this.#loop(turn, timed.llm, signal, stream, (input) => runReasoningLoop({ ...input, messages: context.messages })),
    );
    return this.#settlingUsage(spent.usage, async () => {
      await flushed;
      await storedFiles;
      const order = turn.delivery && { delivery: turn.delivery, seq: turn.userSeq, direct: turn.direct === true };
      const done = { ...turn, llmMs: timed.elapsedMs(), order };
      const note = files && skippedNote(files.skipped);
      const settled = await this.#settle(done, turn.replyId, spent, { ...out, stream }, turn.delivery, note);
      return { ...settled, promptTokens: context.tokens };
    });
  }

  /** What is read of the message's files; a failure here is the turn's failure. */
  async #readAttachments(turn: Turn): Promise<ReadAttachments | undefined> {
    if (!turn.attachments?.length) return undefined;
    const started = performance.now();
    const read = await readAttachments(turn.attachments, { vision: this.deps.settings.vision !== false, author: authorName(turn.author) });
    this.deps.log.info(
      {
        channel: this.channel.id,
        files: turn.attachments.length,
        images: read.images.length,
        skipped: read.skipped.length,
        bytes: read.bytes,
        ms: Math.round(performance.now() - started),
      },
      "attachments read",
    );
    return read;
  }

  /**
   * Goes on with a turn that waited for a person, from what was stored when it stopped: the call
   * runs (or the model is told it was declined) and the turn answers in its thread, or stops at
   * its next call that waits.
   */
  resume(paused: PausedTurn, decision: Decision, conversationId: string, out: TurnOutput): Promise<TurnResult> {
    return this.#telling(out, (watched) => this.#resume(paused, decision, conversationId, watched));
  }

  async #resume(paused: PausedTurn, decision: Decision, conversationId: string, out: TurnOutput): Promise<TurnResult> {
    const timed = timedLlm(this.deps.llm);
    const turn = { conversationId, author: paused.author, text: paused.text };
    // Admitted when it started: going on after a person's decision is not held to the budget again.
    const spent = await this.#spending(paused.replyId, undefined, () =>
      this.#loop(turn, timed.llm, undefined, out.stream, (input) => resumeReasoningLoop(input, paused.loop, decision)),
    );
    return this.#settlingUsage(spent.usage, async () => {
      const done = { ...turn, llmMs: paused.llmMs + timed.elapsedMs(), order: paused.order };
      return { ...(await this.#settle(done, paused.replyId, spent, out)), promptTokens: 0 };
    });
  }

  /**
   * Runs a turn; if it throws before its reply was handed to the stream, the stream shows the
   * sentence that says so in place of whatever it streamed. After that, what the platform shows is
   * the stream's, and the caller says it (see the router).
   */
  async #telling(out: TurnOutput, run: (out: TurnOutput) => Promise<TurnResult>): Promise<TurnResult> {
    const stream = watchFinish(out.stream);
    try {
      return await run({ ...out, stream });
    } catch (error) {
      if (!stream.finishing && !(await sayFailed(out.stream, error)))
        this.deps.log.warn({ channel: this.channel.id }, "could not say in the thread that the turn failed");
      throw error;
    }
  }

  /**
   * Runs `work` with its model calls recorded against the turn whose reply is `replyId`. With
   * CHANNEL_DAILY_TOKENS and an `estimate`, only once that much is held for it; when it does not
   * fit, the turn answers that the budget is spent and calls no model. The calls are written with
   * the reply (see #settle), and the usage settled after it (#settlingUsage).
   */
  async #spending(replyId: string, estimate: number | undefined, work: () => Promise<Outcome>): Promise<Spent> {
    const { usage, log } = this.deps;
    if (!usage) return { outcome: await work() };
    const admission = estimate === undefined ? { admitted: true as const } : await usage.admit(this.channel.id, estimate);
    if (!admission.admitted) {
      log.info({ channel: this.channel.id }, "turn refused: the channel's daily token budget is spent");
      return { outcome: { text: BUDGET_SPENT, toolCalls: [] } };
    }
    const scope = { channelId: this.channel.id, messageId: replyId, reservation: admission.reservation };
    return withUsageScope(scope, async (usageScope) => {
      try {
        return { outcome: await work(), usage: usageScope };
      } catch (error) {
        this.#settleUsage(usageScope);
        throw error;
      }
    });
  }

  /** Runs `settle` (storing and showing the turn's reply), then settles the turn's usage whatever it did. */
  async #settlingUsage<T>(usage: UsageScope | undefined, settle: () => Promise<T>): Promise<T> {
    try {
      return await settle();
    } finally {
      if (usage) this.#settleUsage(usage);
    }
  }

  /** Off the reply's path: the calls the reply did not write, then what the turn held and did not spend given back. */
  #settleUsage(scope: UsageScope): void {
    const { usage, background } = this.deps;
    if (usage) void background.run("usage", () => usage.settle(scope));
  }

  /** Runs (or resumes) the tool loop with this author's tools; a failure becomes the text that says so. */
  async #loop(
    turn: Pick<Turn, "conversationId" | "author" | "stop">,
    llm: LlmClient,
    signal: AbortSignal | undefined,
    stream: ReplyStream,
    run: (input: Omit<LoopInput, "messages">) => Promise<LoopOutcome>,
  ): Promise<Outcome> {
    const { tools, executor, settings, log } = this.deps;
    const author = tools.caller(this.channel.platform, turn.author);
    const available = tools.forCaller(this.channel, author);
    const toolContext = { channelId: this.channel.id, conversationId: turn.conversationId, author };
    const find = (name: string) => available.find((tool) => tool.name === name);
    let said = "";
    try {
      const result = await run({
        llm,
        model: this.model,
        tools: available.map(toToolSpec),
        maxSteps: settings.maxSteps,
        onDelta: (delta) => {
          said += delta;
          stream.append(delta);
        },
        signal,
        needsApproval: (call) => {
          const tool = find(call.name);
          return tool !== undefined && needsApproval(tool.risk, settings.approval);
        },
        // The executor reports a tool's failure as its result; one it throws (its rate limits'
        // store, its audit) is the model's to answer around like any other.
        runTool: (call) =>
          executor.execute(find(call.name), call, toolContext).catch((error: unknown) => {
            log.warn({ err: error, channel: this.channel.id, tool: call.name }, "tool call could not run");
            return { name: call.name, ok: false, content: `Error: ${call.name} could not run (an internal error).` };
          }),
      });
      if ("paused" in result) return { paused: result };
      if (result.text.trim() !== "") return { text: result.text, toolCalls: result.toolCalls, ...result.usage };
      // Nothing to say after a tool failed: the model could not do without it.
      const failed = result.toolCalls.findLast((call) => !call.ok);
      if (failed) {
        const error = new ToolFailedError(failed.name);
        log.warn({ channel: this.channel.id, tool: failed.name }, "turn failed: no answer after a tool failed");
        return { text: failureSentence(error), toolCalls: result.toolCalls, ...result.usage, error: failureKind(error) };
      }
      return { text: "(The model returned an empty answer. Try rephrasing the question.)", toolCalls: result.toolCalls, ...result.usage };
    } catch (error) {
      if (turn.stop?.aborted) {
        log.info({ channel: this.channel.id }, "turn stopped");
        return { text: said.trim() === "" ? "⏹️ Stopped before answering." : said, toolCalls: [], error: STOPPED };
      }
      if (error instanceof LlmError && error.kind === "not_configured")
        log.info({ channel: this.channel.id }, "no LLM configured; told the user what to set");
      else log.warn({ err: error, channel: this.channel.id }, "turn failed");
      return { text: failureSentence(error), toolCalls: [], error: failureKind(error) };
    } finally {
      // Whatever the model said is all it says; the rest is the final text, once stored.
      stream.complete?.();
    }
  }

  /**
   * Stores and shows how the loop ended. The final text goes out once the reply is stored:
   * whoever is told the answer is done can read it from the thread, and a redelivery finds the
   * turn settled. A loop that stopped at a call stores the turn for whoever decides, says in the
   * thread what it waits for, and asks.
   */
  async #settle(
    turn: Pick<Turn, "conversationId" | "author" | "text"> & { llmMs: number; order: TurnOrder | undefined },
    replyId: string,
    { outcome, usage }: Spent,
    out: TurnOutput,
    delivery?: DeliveryKey,
    note?: string,
  ): Promise<Omit<TurnResult, "promptTokens">> {
    const { conversations, memory, approvals } = this.deps;
    const settled = "paused" in outcome ? await this.#ask(turn, outcome.paused, out.to) : { said: outcome };
    const { toolCalls, promptTokens, completionTokens, error } = settled.said;
    // Files that were not read, and facts this turn's remembers pushed out of a full memory, are
    // named under the answer, whatever the model made of them.
    const notes = [note, displacedNote(memory.takeDisplaced(turn.conversationId))].filter(Boolean);
    const text = notes.length ? `${settled.said.text}\n\n${notes.join("\n")}` : settled.said.text;
    // The turn's model calls are written by the statement that stores its reply.
    const calls = usage && this.deps.usage?.pending(usage);
    await conversations.addMessage({
      id: replyId,
      conversationId: turn.conversationId,
      role: "assistant",
      author: "assistant",
      content: text,
      promptTokens,
      completionTokens,
      error,
      toolCalls,
      settles: delivery,
      alsoWrites: calls?.sql,
    });
    calls?.written();
    // The turn's record is written after its answer is shown, off the reply's path; a message that
    // arrives once it is shown, in any thread of the channel, must still recall it.
    const recording = error || "approval" in settled ? undefined : memory.hold(this.channel.id);
    try {
      await out.stream.finish(text, error ? { error } : undefined);
    } catch (failure) {
      recording?.();
      throw failure;
    }
    if ("approval" in settled) {
      const prompt = await out.askApproval(promptOf(settled.approval));
      await approvals.setPromptMessage(settled.approval.id, prompt.id);
      const { id, tool, arguments: args } = settled.approval;
      return { reply: { id: replyId, text }, pendingApproval: { id, tool, args }, toolCalls, ok: true, llmMs: turn.llmMs };
    }
    if (recording)
      void this.deps.background
        .run("episodic memory", () =>
          memory.remember({
            channelId: this.channel.id,
            kind: "episodic",
            author: "assistant",
            content: `${authorName(turn.author)} said: ${clip(turn.text, 600)}\nYou answered: ${clip(text, 600)}`,
          }),
        )
        .then(recording);
    // Stopped is what the person asked for, not a failure.
    return { reply: { id: replyId, text }, toolCalls, ok: !error || error === STOPPED, llmMs: turn.llmMs };
  }

  /** Stores the stopped turn for whoever decides; what the thread is told while it waits. */
  async #ask(
    turn: Pick<Turn, "conversationId" | "author" | "text"> & { llmMs: number; order: TurnOrder | undefined },
    { paused, call }: { paused: LoopState; call: ToolCallRequest },
    to: ThreadRef,
  ): Promise<{ approval: ApprovalRow; said: Finished }> {
    const lastSaid = paused.messages.findLast((message) => message.role === "assistant")?.content.trim();
    const approval = await this.deps.approvals.create({
      channelId: this.channel.id,
      conversationId: turn.conversationId,
      to,
      asker: turn.author,
      tool: call.name,
      args: shownArguments(call.arguments),
      // Stored without image bytes: the turn goes on with the image's marker, as a later turn would see it.
      turn: {
        kind: "turn",
        loop: withoutImages(paused),
        author: turn.author,
        text: turn.text,
        replyId: randomUUID(),
        llmMs: turn.llmMs,
        ...(turn.order && { order: turn.order }),
      },
    });
    const text = `${lastSaid ? `${lastSaid}\n\n` : ""}⏸️ Waiting for approval to run \`${call.name}\`.`;
    return { approval, said: { text, toolCalls: paused.toolCalls, ...paused.usage } };
  }
}

type Finished = { text: string; toolCalls: TurnResult["toolCalls"]; promptTokens?: number; completionTokens?: number; error?: string };
type Outcome = Finished | { paused: { paused: LoopState; call: ToolCallRequest } };
/** How the loop ended, and the usage scope its calls were recorded in (absent without a ledger or when refused). */
type Spent = { outcome: Outcome; usage?: UsageScope };

/** The thread with the message being answered (the first) showing its files after its text. */
function withFiles(history: HistoryMessage[], text: string, files: ReadAttachments): HistoryMessage[] {
  const [current, ...rest] = history;
  if (!current) return history;
  const content = files.text === "" ? text : text.trim() === "" ? files.text : `${text}\n\n${files.text}`;
  return [{ ...current, content, tokens: messageTokens(content) }, ...rest];
}

function withoutImages(state: LoopState): LoopState {
  const messages = state.messages.map((message) => {
    if (message.role !== "user" || !message.images) return message;
    const { images, ...rest } = message;
    return rest;
  });
  return { ...state, messages };
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

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
