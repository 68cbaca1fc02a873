import type { Logger } from "pino";
import { decisionText } from "../../core/approval-text.js";
import { type ApprovalDecisionInput, type ApprovalDecisionResult, type HandledMessage, ShuttingDownError } from "../../core/bot.js";
import { CLAIM_STALE_MS, renewing } from "../../core/claim.js";
import { type Poster, type PosterFor, turnOutput } from "../../core/poster.js";
import { authorName, platforms } from "../../core/thread.js";
import { type ThreadQueue, threadKey } from "../../core/thread-queue.js";
import type { ToolRegistry } from "../../tools/registry.js";
import type { AssistantDirectory } from "../assistant/assistant-directory.js";
import type { Decision } from "../assistant/reasoning-loop.js";
import type { ConversationStore } from "../conversation/conversation-store.js";
import { afterEarlierTurns } from "../conversation/earlier-turns.js";
import { type ApprovalRow, type ApprovalStore, isTaskApproval, outcomeOf, promptOf, type TaskApprovalRow } from "./approval-store.js";

export interface ApprovalFlowDeps {
  store: ApprovalStore;
  conversations: ConversationStore;
  assistants: AssistantDirectory;
  threads: ThreadQueue;
  tools: ToolRegistry;
  /** The platforms this process can write to; approvals of the others are left to their processes. */
  posterFor: PosterFor;
  /**
   * Hands a decided approval of a project's task to the project workers, which go on with the
   * task. Absent where this process runs no projects: the workers' sweep finds the decision.
   */
  resumeTask?: (row: TaskApprovalRow) => Promise<void>;
  log: Logger;
}

/**
 * Decisions on calls that wait for a person, and the turns that go on after them: in the thread's
 * order, in whichever process took the decision. A sweep expires approvals nobody decided (they
 * count as denied) and takes up decided turns whose process died before they went on.
 */
export class ApprovalFlow {
  readonly #running = new Set<Promise<unknown>>();
  #sweeping: NodeJS.Timeout | undefined;
  #closing = false;

  constructor(private readonly deps: ApprovalFlowDeps) {}

  async decide(input: ApprovalDecisionInput, poster: Poster): Promise<ApprovalDecisionResult> {
    const { store, tools } = this.deps;
    const row = await store.get(input.platform, input.id);
    if (!row) return { status: "unknown" };
    const by = tools.caller(input.platform, input.by);
    if (by.id !== row.askerId && by.isAdmin !== true) return { status: "forbidden", asker: { id: row.askerId, name: row.askerName } };
    const result = await store.decide(row, input.approve, authorName(by));
    if (!result.decided) {
      if (result.reason === "taken" && result.row) return { status: "taken", outcome: outcomeOf(result.row) };
      return { status: result.reason === "unknown" ? "unknown" : "expired" };
    }
    // While this process stops, the decision is kept and its turn left to the next sweep of any process.
    if (this.#closing) await store.release(row.id);
    // A click can come before the prompt's id is stored (the prompt was just posted).
    const decided = { ...result.row, promptMessageId: result.row.promptMessageId ?? input.messageId ?? null };
    const turn = this.#closing ? restarting() : this.#goOn(decided, poster);
    return { status: "decided", outcome: outcomeOf(result.row), thread: row.thread, turn };
  }

  /** Sweeps now (what a stopped process left) and every `intervalMs` until `drain()`. */
  start(intervalMs: number): void {
    const sweep = () => this.sweep().catch((error: unknown) => this.deps.log.warn({ err: error }, "approval sweep failed"));
    void sweep();
    this.#sweeping = setInterval(sweep, intervalMs);
    this.#sweeping.unref();
  }

  /** Goes on with the turns of expired approvals (as denied) and of decided ones nobody took up. */
  async sweep(): Promise<void> {
    const { store, posterFor } = this.deps;
    const here = platforms.filter((platform) => posterFor(platform) !== undefined);
    if (here.length === 0) return;
    const rows = [...(await store.expireDue(here)), ...(await store.claimOrphans(here, CLAIM_STALE_MS))];
    for (const row of rows) {
      const poster = posterFor(row.platform);
      if (poster)
        this.#goOn(row, poster).catch((error: unknown) =>
          this.deps.log.warn({ err: error, approval: row.id }, "approved turn did not go on"),
        );
    }
  }

  /** Stops sweeping and waits for the turns going on here. */
  async drain(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#sweeping);
    await Promise.allSettled([...this.#running]);
  }

  /**
   * Shows the decision on the prompt, then goes on with the turn when its thread's turn comes, or
   * hands a project's task to the project workers.
   */
  #goOn(row: ApprovalRow, poster: Poster): Promise<HandledMessage> {
    const work = isTaskApproval(row) ? this.#handOver(row, poster) : this.#resume(row, poster);
    this.#running.add(work);
    void work.finally(() => this.#running.delete(work)).catch(() => undefined);
    return work;
  }

  async #show(row: ApprovalRow, poster: Poster): Promise<void> {
    const to = { platform: row.platform, channel: row.channel, thread: row.thread };
    if (row.promptMessageId)
      await poster
        .showDecision(to, row.promptMessageId, promptOf(row), outcomeOf(row))
        .catch((error: unknown) => this.deps.log.warn({ err: error, approval: row.id }, "decision not shown on its prompt"));
  }

  /**
   * A project task's decision: the project workers go on with the task in the background (a job
   * per approval; they mark it resumed), so the answer here only says what was decided. Should
   * the job not reach the queue, the workers' sweep queues it from Postgres.
   */
  async #handOver(row: TaskApprovalRow, poster: Poster): Promise<HandledMessage> {
    await this.#show(row, poster);
    const decided = `${decisionText(outcomeOf(row))} The project's task \`${row.turn.taskKey}\``;
    let text = `${decided} goes on.`;
    try {
      await this.deps.resumeTask?.(row);
    } catch (error) {
      this.deps.log.warn({ err: error, approval: row.id }, "project task not handed to the workers; their sweep will");
      text = `${decided} goes on once the project workers can take it up.`;
    }
    return { thread: row.thread, reply: { id: row.promptMessageId ?? row.id, text }, toolCalls: [], ok: true, llmMs: 0 };
  }

  async #resume(row: ApprovalRow, poster: Poster): Promise<HandledMessage> {
    const { store, conversations, assistants, threads, log } = this.deps;
    const { turn } = row;
    const conversationId = row.conversationId;
    if (turn.kind !== "turn" || !conversationId) throw new Error(`approval ${row.id} has no conversation to go on in`);
    // Takes its place in the thread's order before anything else: later messages, in any process, wait for it.
    const order = turn.order;
    if (order) await conversations.unsettle(order.delivery);
    const renew = () => Promise.all([store.renewClaim(row.id), order && conversations.renewClaim(order.delivery)]).then(() => undefined);
    const to = { platform: row.platform, channel: row.channel, thread: row.thread };
    const work = (async () => {
      await this.#show(row, poster);
      const channel = await conversations.channel(row.platform, row.channel);
      // Waits for the turns of the thread's earlier messages still running, in any process.
      if (order) await afterEarlierTurns(conversations, { conversationId, seq: order.seq, ...(order.direct && { channelId: channel.id }) });
      return threads.run(threadKey(channel.id, row.thread), async () => {
        // Taken up again after its answer was stored (its process died just after): the stored answer.
        const stored = await conversations.message(turn.replyId);
        const result = stored
          ? { reply: { id: stored.id, text: stored.content }, toolCalls: [], ok: stored.error === null, llmMs: 0 }
          : await assistants.for(channel).resume(turn, decisionOf(row), conversationId, turnOutput(poster, to, turn.replyId));
        await store.markResumed(row.id);
        return { ...result, thread: row.thread };
      });
    })();
    try {
      return await renewing(work, renew, log);
    } finally {
      if (order)
        await conversations
          .resettle(order.delivery)
          .catch((error: unknown) => log.warn({ err: error, approval: row.id }, "continued turn not settled"));
    }
  }
}

function restarting(): Promise<never> {
  const later = Promise.reject(
    new ShuttingDownError("The decision is kept; the bot is restarting and goes on with the turn when it is back."),
  );
  later.catch(() => undefined);
  return later;
}

/** How the call a paused loop waits on was decided; anything but a yes counts as declined. */
export function decisionOf(row: ApprovalRow): Decision {
  return row.state === "approved" ? "approved" : row.state === "denied" ? "denied" : "expired";
}
