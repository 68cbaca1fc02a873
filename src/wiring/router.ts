import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { ApprovalFlow } from "../agents/approvals/approval-flow.js";
import type { AssistantDirectory } from "../agents/assistant/assistant-directory.js";
import type { TurnResult } from "../agents/assistant/enhanced-assistant.js";
import { sayFailed, wasTold } from "../agents/assistant/turn-failure.js";
import {
  type ConversationStore,
  channelKey,
  type DeliveryKey,
  type Received,
  type Redelivery,
} from "../agents/conversation/conversation-store.js";
import { afterEarlierTurns, type TurnPlace } from "../agents/conversation/earlier-turns.js";
import { type CommandContextFactory, dispatchCommand } from "../commands/index.js";
import { type ApprovalDecisionInput, type ApprovalDecisionResult, type Bot, type HandledMessage, ShuttingDownError } from "../core/bot.js";
import { CLAIM_STALE_MS, renewing } from "../core/claim.js";
import type { CommandInvocation, CommandReply, InboundMessage } from "../core/inbound.js";
import { type Poster, turnOutput } from "../core/poster.js";
import { storableText } from "../core/storable-text.js";
import { authorName, type Platform, type ThreadRef } from "../core/thread.js";
import { type ThreadQueue, threadKey } from "../core/thread-queue.js";

/** The queue of a DM's top-level messages, in place of a thread id (which is never empty). */
const DIRECT_QUEUE = "";

export interface RoutedMessage extends TurnResult, HandledMessage {
  conversationId: string;
  userMessageId: string;
}

export interface RouterDeps {
  conversations: ConversationStore;
  assistants: AssistantDirectory;
  /** Shared with the approvals, so a turn that goes on after a decision keeps its thread's order. */
  threads: ThreadQueue;
  approvals: ApprovalFlow;
  commandContext: CommandContextFactory;
  log: Logger;
}

/** Drops duplicate deliveries, stores the message, and hands it to its channel's assistant, one turn at a time per thread. */
export class Router implements Bot {
  /**
   * Messages being stored, by thread: each will take its turn behind any running one. One that
   * recalled early is marked overtaken when another turn of its thread takes its place first.
   */
  readonly #storing = new Map<string, Set<{ overtaken: boolean }>>();
  /** Deliveries being handled here, by platform and event id: a duplicate waits for the first. */
  readonly #deliveries = new Map<string, Promise<RoutedMessage | undefined>>();
  /** The turns of this process not yet ended, by user message id: a later message of the thread waits for them. */
  readonly #turnsHere = new Map<string, Promise<unknown>>();
  /** Turns waiting for earlier ones before they join their thread's queue, by queue key. */
  readonly #admitting = new Map<string, number>();
  /** The turn running in each thread here, to stop on a person's request. */
  readonly #running = new Map<string, AbortController>();
  #closing = false;

  constructor(private readonly deps: RouterDeps) {}

  /** Resolves with the answer, or undefined when this delivery was already handled. */
  async handleMessage(message: InboundMessage, poster: Poster): Promise<RoutedMessage | undefined> {
    if (this.#closing) {
      const refused = new ShuttingDownError("The bot is shutting down; send the message again in a moment.");
      await this.#sayFailed(message, poster, refused);
      throw refused;
    }
    const key = `${message.platform}\n${message.eventId}`;
    const earlier = this.#deliveries.get(key);
    // A duplicate while the first delivery is still handled here runs no second turn: the first's answer is its answer.
    if (earlier) {
      const first = await earlier;
      return first && { ...first, repeated: true };
    }
    const work = this.#handle(message, poster).catch(async (error: unknown) => {
      await this.#sayFailed(message, poster, error);
      throw error;
    });
    this.#deliveries.set(key, work);
    try {
      return await work;
    } finally {
      this.#deliveries.delete(key);
    }
  }

  async #handle(delivered: InboundMessage, poster: Poster): Promise<RoutedMessage | undefined> {
    const message = storable(delivered);
    const { conversations, assistants } = this.deps;
    const channel = await conversations.channel(message.platform, message.channel, message.channelName);
    const externalThread = message.thread ?? randomUUID();
    // A DM's top-level messages are one conversation: answered one at a time, whichever thread each opened.
    const queueKey = (thread: string) => threadKey(channel.id, message.direct ? DIRECT_QUEUE : thread);
    const key = queueKey(externalThread);
    const assistant = assistants.for(channel);
    // With no turn of this thread ahead of this one, nothing a turn could still remember is missed:
    // recall while the message is stored. (A duplicate delivery wastes it, bumping what it found.)
    const ahead = this.deps.threads.busy(key) || this.#storing.has(key) || this.#admitting.has(key);
    const recalled = ahead ? undefined : assistant.recall(message.text, externalThread);
    // Reported by the turn; not unhandled when there is no turn.
    recalled?.catch(() => undefined);
    const storing = this.#storing.get(key) ?? new Set();
    const arrival = { overtaken: false };
    this.#storing.set(key, storing.add(arrival));
    const delivery: DeliveryKey = { platform: message.platform, eventId: message.eventId };
    let handled: { received: Received; thread: string; answer: Promise<TurnResult> } | undefined;
    let earlier: Redelivery | undefined;
    try {
      const received = await conversations.receive({
        platform: message.platform,
        eventId: message.eventId,
        channelId: channel.id,
        externalThreadId: externalThread,
        author: authorName(message.author),
        content: message.text,
      });
      // Received before: its turn failed or died (run it again, claimed by this delivery alone), or
      // it was answered, or it is running elsewhere.
      earlier = received ? undefined : await conversations.redelivery(delivery, CLAIM_STALE_MS);
      const turn = received ? { received, thread: externalThread } : earlier?.state === "retry" ? earlier : undefined;
      if (turn) {
        message.acknowledge?.();
        const { conversationId, seq, opened, messageId } = turn.received;
        const replyId = randomUUID();
        for (const other of storing) other.overtaken ||= other !== arrival;
        // A turn that overtook this one may remember something its early recall could not see; a
        // rerun's message was stored long ago, and its thread may not be the one recalled for.
        const early = arrival.overtaken || !received ? undefined : recalled;
        const to = { platform: message.platform, channel: message.channel, thread: turn.thread };
        const { direct, quoted } = message;
        const scope = { conversationId, seq, opened, ...(direct && { channelId: channel.id }) };
        const running = runningKey(to);
        const answer = this.#afterEarlier(queueKey(turn.thread), scope).then(() =>
          this.deps.threads.run(queueKey(turn.thread), () => {
            const stop = new AbortController();
            this.#running.set(running, stop);
            return assistant
              .answer(
                {
                  conversationId,
                  replyId,
                  author: message.author,
                  text: message.text,
                  userSeq: seq,
                  opened,
                  recalled: early,
                  delivery,
                  direct,
                  quoted,
                  messageId,
                  attachments: message.attachments,
                  stop: stop.signal,
                },
                turnOutput(poster, to, replyId),
              )
              .finally(() => {
                if (this.#running.get(running) === stop) this.#running.delete(running);
              });
          }),
        );
        const ended = answer.catch(() => undefined).then(() => void this.#turnsHere.delete(messageId));
        this.#turnsHere.set(messageId, ended);
        handled = { received: turn.received, thread: turn.thread, answer: this.#claimed(delivery, answer) };
      }
    } finally {
      storing.delete(arrival);
      if (storing.size === 0) this.#storing.delete(key);
    }
    if (earlier?.state === "answered") {
      // Answered before: the stored reply again, posting nothing. (Tool calls are not kept with it.)
      const { thread, reply, conversationId, userMessageId } = earlier;
      this.deps.log.info({ platform: message.platform, eventId: message.eventId }, "answered delivery repeated");
      return { thread, reply, toolCalls: [], ok: true, promptTokens: 0, llmMs: 0, conversationId, userMessageId, repeated: true };
    }
    if (!handled) {
      this.deps.log.info({ platform: message.platform, eventId: message.eventId }, "duplicate delivery dropped");
      return undefined;
    }
    const { received, thread, answer } = handled;
    return { ...(await answer), thread, conversationId: received.conversationId, userMessageId: received.messageId };
  }

  /**
   * Resolves once the turns of the earlier messages of the thread (of the DM channel, for
   * `channelId`) have ended, in any process, so turns keep their thread's order across processes
   * (see docs/internals.md). Each waits only for smaller `seq`s, so none waits for another in a
   * circle; a turn whose process died stops holding the thread when its claim goes stale, and
   * other threads never wait. Then the thread's queue orders it with a decided approval's turn.
   */
  async #afterEarlier(key: string, at: TurnPlace): Promise<void> {
    this.#admitting.set(key, (this.#admitting.get(key) ?? 0) + 1);
    try {
      // Turns of this process are awaited; another's (or one whose receive has not returned yet) are looked for again.
      await afterEarlierTurns(this.deps.conversations, at, (ahead) => {
        const here = ahead.map((id) => this.#turnsHere.get(id));
        return here.every((ended) => ended !== undefined) ? Promise.all(here) : undefined;
      });
    } finally {
      const left = (this.#admitting.get(key) ?? 1) - 1;
      if (left === 0) this.#admitting.delete(key);
      else this.#admitting.set(key, left);
    }
  }

  /**
   * Keeps the delivery's claim alive while its turn waits and runs; a turn that ends without
   * storing and showing its answer (the database or the platform failed) is marked failed, so a
   * redelivery runs it again instead of waiting for the claim to go stale.
   */
  #claimed<T>(delivery: DeliveryKey, answer: Promise<T>): Promise<T> {
    const { conversations, log } = this.deps;
    return renewing(answer, () => conversations.renewClaim(delivery), log).catch(async (error: unknown) => {
      await conversations.markFailed(delivery).catch((cause: unknown) => log.warn({ err: cause }, "failed turn not recorded"));
      throw error;
    });
  }

  /**
   * A delivery that failed before its turn could say so (the database, the platform, stopping):
   * the thread is told in one sentence, when the platform takes it. The delivery stays failed.
   */
  async #sayFailed(message: InboundMessage, poster: Poster, error: unknown): Promise<void> {
    if (wasTold(error) || message.thread === undefined) return;
    const to = { platform: message.platform, channel: message.channel, thread: message.thread };
    if (!(await sayFailed(poster.stream(to), error)))
      this.deps.log.warn({ platform: message.platform, eventId: message.eventId }, "could not say in the thread that the turn failed");
  }

  stopTurn(to: ThreadRef): boolean {
    const running = this.#running.get(runningKey(to));
    running?.abort();
    return running !== undefined;
  }

  async knowsThread(platform: Platform, channel: string, thread: string): Promise<boolean> {
    return (await this.deps.conversations.findThread(channelKey(platform, channel), thread)) !== undefined;
  }

  async handleCommand(delivered: CommandInvocation): Promise<CommandReply> {
    const invocation = storable(delivered);
    // Recorded before it runs: a command that starts something is run at most once per request.
    const { deliveryId, platform } = invocation;
    if (deliveryId !== undefined && !(await this.deps.conversations.firstDelivery(platform, deliveryId))) {
      this.deps.log.info({ platform, deliveryId, command: invocation.command }, "duplicate command dropped");
      return { text: "", duplicate: true };
    }
    const context = await this.deps.commandContext(invocation);
    return dispatchCommand(invocation, context);
  }

  /** Taken even while stopping: the decision is kept, and its turn goes on in a process that is not. */
  decideApproval(decision: ApprovalDecisionInput, poster: Poster): Promise<ApprovalDecisionResult> {
    return this.deps.approvals.decide(decision, poster);
  }

  /** Stops taking messages and decisions, and waits for the replies in flight. */
  async drain(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#deliveries.values(), this.deps.approvals.drain()]);
  }
}

/** What users wrote, as Postgres can store it, whichever platform it came from. */
function storable<T extends InboundMessage | CommandInvocation>(input: T): T {
  const { author } = input;
  const quoted = "quoted" in input ? input.quoted : undefined;
  return {
    ...input,
    text: storableText(input.text),
    author: { ...author, id: storableText(author.id), ...(author.name === undefined ? {} : { name: storableText(author.name) }) },
    // Quoted in the prompt, which a turn that waits for approval stores.
    ...(quoted && { quoted: { author: storableText(quoted.author), text: storableText(quoted.text) } }),
  };
}

const runningKey = (to: ThreadRef) => threadKey(channelKey(to.platform, to.channel), to.thread);
