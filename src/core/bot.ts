import type { CommandInvocation, CommandReply, InboundMessage } from "./inbound.js";
import type { ApprovalOutcomeView, Poster } from "./poster.js";
import type { Author, Platform, ThreadRef } from "./thread.js";

export interface HandledMessage {
  thread: string;
  reply: { id: string; text: string };
  toolCalls: { name: string; ok: boolean }[];
  ok: boolean;
  /** The turn waits for a person's yes on this call; `reply` is the message that says so. */
  pendingApproval?: { id: string; tool: string; args: unknown };
  /** Milliseconds the turn spent waiting on the model, so what the bot itself adds can be told apart. */
  llmMs: number;
  /** This delivery was answered before (or is being answered by a delivery ahead of it): nothing new was posted. */
  repeated?: true;
}

/** A person's click on Approve or Deny, normalised by an adapter. */
export interface ApprovalDecisionInput {
  platform: Platform;
  /** The approval's id, from the button. */
  id: string;
  approve: boolean;
  by: Author;
  /** The platform's id of the message clicked: the prompt, known before its id may be stored. */
  messageId?: string;
}

/**
 * What came of a click: no such approval on this platform, expired, decided before (a double
 * click), not this person's to decide (only the asker or an admin may), or decided now, with the
 * turn that goes on in its thread.
 */
export type ApprovalDecisionResult =
  | { status: "unknown" }
  | { status: "expired" }
  | { status: "taken"; outcome: ApprovalOutcomeView }
  | { status: "forbidden"; asker: { id: string; name: string } }
  | { status: "decided"; outcome: ApprovalOutcomeView; thread: string; turn: Promise<HandledMessage> };

/** Thrown by `handleMessage` once the bot has begun to shut down; the sender should retry. */
export class ShuttingDownError extends Error {
  override name = "ShuttingDownError";
}

/** What adapters hand their normalised input to. */
export interface Bot {
  /**
   * The answer. A delivery received before gets the earlier answer (`repeated`) when that turn
   * succeeded or is running in this process, and runs again when it failed or its process died;
   * undefined when its turn is running in another process.
   */
  handleMessage(message: InboundMessage, poster: Poster): Promise<HandledMessage | undefined>;
  handleCommand(invocation: CommandInvocation): Promise<CommandReply>;
  /** Decides a tool call that waits for approval; `poster` writes the turn that goes on. */
  decideApproval(decision: ApprovalDecisionInput, poster: Poster): Promise<ApprovalDecisionResult>;
  /**
   * Stops the turn running in this thread in this process: its model call is aborted and what it
   * wrote so far is stored as its reply, marked stopped. False when none runs here.
   */
  stopTurn(to: ThreadRef): boolean;
  /** Whether the bot already holds a conversation in this thread, so a message there needs no mention. */
  knowsThread(platform: Platform, channel: string, thread: string): Promise<boolean>;
}

export interface Health {
  status: "ok" | "degraded";
  db: string;
  redis: string;
  llm: string;
  /** How memories are recalled: by meaning and words, or by words alone (see `/agent` for why). */
  recall: "hybrid" | "fulltext";
  missing: string[];
}
