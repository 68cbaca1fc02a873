import type { CommandInvocation, CommandReply, InboundMessage } from "./inbound.js";
import type { Poster } from "./poster.js";
import type { Platform } from "./thread.js";

export interface HandledMessage {
  thread: string;
  reply: { id: string; text: string };
  toolCalls: { name: string; ok: boolean }[];
  ok: boolean;
  /** Milliseconds the turn spent waiting on the model, so what the bot itself adds can be told apart. */
  llmMs: number;
  /** This delivery was answered before (or is being answered by a delivery ahead of it): nothing new was posted. */
  repeated?: true;
}

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
  /** Whether the bot already holds a conversation in this thread, so a message there needs no mention. */
  knowsThread(platform: Platform, channel: string, thread: string): Promise<boolean>;
}

export interface Health {
  status: "ok" | "degraded";
  db: string;
  redis: string;
  llm: string;
  missing: string[];
}
