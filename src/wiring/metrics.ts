import { sql } from "drizzle-orm";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { LlmClient } from "../agents/llm/types.js";
import type { ApprovalDecisionResult, Bot, HandledMessage } from "../core/bot.js";
import type { Db } from "../db/client.js";
import { rowsOf } from "../db/rows.js";
import { projects } from "../db/schema.js";

/** How a delivery ended, as `quorum_replies_total` counts it. */
type ReplyOutcome = "ok" | "failed" | "waiting" | "repeated" | "duplicate" | "error";

/**
 * The process's Prometheus metrics (DESIGN.md "Usage and operations"): counters fed by thin
 * wrappers around the bot, the model and the tool executor, and the projects counted in Postgres
 * at each scrape, so every process shows the same, whichever ran them.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #messages = new Counter({
    name: "quorum_messages_total",
    help: "Messages received from people, by platform.",
    labelNames: ["platform"],
    registers: [this.registry],
  });
  readonly #replies = new Counter({
    name: "quorum_replies_total",
    help: "Deliveries handled, by platform and how they ended (ok, failed, waiting for approval, repeated, duplicate, error).",
    labelNames: ["platform", "outcome"],
    registers: [this.registry],
  });
  readonly #duration = new Histogram({
    name: "quorum_reply_duration_seconds",
    help: "From a message's arrival to its reply being stored and shown (or its turn pausing for approval).",
    labelNames: ["platform"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  readonly #tokens = new Counter({
    name: "quorum_llm_tokens_total",
    help: "Tokens the model reported, by model and kind (prompt, completion).",
    labelNames: ["model", "kind"],
    registers: [this.registry],
  });
  readonly #tools = new Counter({
    name: "quorum_tool_calls_total",
    help: "Tool calls, by tool and outcome (ok, error).",
    labelNames: ["tool", "outcome"],
    registers: [this.registry],
  });

  constructor(db: Db) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: "quorum_projects_total",
      help: "Projects by status, counted in the database at each scrape (all processes).",
      labelNames: ["status"],
      registers: [this.registry],
      async collect() {
        type Row = { status: string; n: number | string };
        const rows = rowsOf<Row>(await db.execute<Row>(sql`select status, count(*) as n from ${projects} group by status`));
        this.reset();
        for (const row of rows) this.set({ status: row.status }, Number(row.n));
      },
    });
  }

  /** The text Prometheus scrapes. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** `bot`, counting each message, how its delivery ended and how long it took. */
  bot(bot: Bot): Bot {
    const replied = (platform: string, outcome: ReplyOutcome) => this.#replies.inc({ platform, outcome });
    return {
      handleMessage: async (message, poster) => {
        this.#messages.inc({ platform: message.platform });
        const stop = this.#duration.startTimer({ platform: message.platform });
        try {
          const handled = await bot.handleMessage(message, poster);
          replied(message.platform, outcomeOf(handled));
          if (handled && !handled.repeated) stop();
          return handled;
        } catch (error) {
          replied(message.platform, "error");
          throw error;
        }
      },
      decideApproval: async (decision, poster): Promise<ApprovalDecisionResult> => {
        const result = await bot.decideApproval(decision, poster);
        // The turn that goes on after a decision ends in a reply of its own.
        if (result.status === "decided")
          result.turn.then(
            (handled) => replied(decision.platform, outcomeOf(handled)),
            () => replied(decision.platform, "error"),
          );
        return result;
      },
      handleCommand: (invocation) => bot.handleCommand(invocation),
      knowsThread: (platform, channel, thread) => bot.knowsThread(platform, channel, thread),
      stopTurn: (to) => bot.stopTurn(to),
    };
  }

  /** `llm`, counting the tokens each call reports. */
  llm(llm: LlmClient): LlmClient {
    const tokens = this.#tokens;
    return {
      get model() {
        return llm.model;
      },
      async complete(request) {
        const result = await llm.complete(request);
        const model = request.model ?? llm.model;
        if (result.usage) {
          tokens.inc({ model, kind: "prompt" }, result.usage.promptTokens);
          tokens.inc({ model, kind: "completion" }, result.usage.completionTokens);
        }
        return result;
      },
    };
  }

  /** Counts a finished tool call. */
  toolCall(tool: string, ok: boolean): void {
    this.#tools.inc({ tool, outcome: ok ? "ok" : "error" });
  }
}

/** How a delivery ended: the reply's outcome, or why there was none of its own. */
export function outcomeOf(handled: HandledMessage | undefined): ReplyOutcome {
  if (!handled) return "duplicate";
  if (handled.repeated) return "repeated";
  if (handled.pendingApproval) return "waiting";
  return handled.ok ? "ok" : "failed";
}
