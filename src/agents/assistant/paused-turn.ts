import type { Author } from "../../core/thread.js";
import type { LoopState } from "./reasoning-loop.js";

/** A turn stopped at a call that waits for a person: all any process needs to go on with it. */
export interface PausedTurn {
  loop: LoopState;
  author: Author;
  /** The message the turn answers, for the record of the turn kept in memory. */
  text: string;
  /** The id the turn's answer is stored under once it goes on. */
  replyId: string;
  /** Time spent in calls to the model so far. */
  llmMs: number;
}
