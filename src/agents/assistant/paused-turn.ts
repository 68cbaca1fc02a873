import type { Author } from "../../core/thread.js";
import type { DeliveryKey } from "../conversation/conversation-store.js";
import type { LoopState } from "./reasoning-loop.js";

/** A chat turn stopped at a call that waits for a person: all any process needs to go on with it. */
export interface PausedTurn {
  kind: "turn";
  loop: LoopState;
  author: Author;
  /** The message the turn answers, for the record of the turn kept in memory. */
  text: string;
  /** The id the turn's answer is stored under once it goes on. */
  replyId: string;
  /** Time spent in calls to the model so far. */
  llmMs: number;
  /** Where the turn stands in its thread's order across processes; absent on turns paused before it was kept. */
  order?: TurnOrder;
}

/** The message a turn answers, by which later messages of its thread wait for it (see `ConversationStore.unsettledBefore`). */
export interface TurnOrder {
  delivery: DeliveryKey;
  seq: number;
  /** A DM's top-level message: ordered with every thread of its channel. */
  direct: boolean;
}

/** A project's task stopped at a call that waits for its creator: the project workers go on with it. */
export interface PausedTask {
  kind: "task";
  projectId: string;
  taskKey: string;
  /** The specialist doing the task. */
  specialist: string;
  loop: LoopState;
  /** The URLs the task's tools returned so far, for the result's sources. */
  sources: string[];
}

/** What a stored approval goes on with once decided, by its `kind`. */
export type PausedWork = PausedTurn | PausedTask;
