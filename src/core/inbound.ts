import type { Attachment } from "./attachment.js";
import type { Author, Platform } from "./thread.js";

/** A user's message, normalised by an adapter. Nothing platform-specific passes this line. */
export interface InboundMessage {
  platform: Platform;
  /** The platform's id of this delivery; the router drops a second delivery with the same id. */
  eventId: string;
  channel: string;
  channelName?: string;
  /** The thread it belongs to; absent when it starts a new one. */
  thread?: string;
  author: Author;
  text: string;
  /** Files and images attached to the message; fetched only when its turn runs. */
  attachments?: Attachment[];
  receivedAt: Date;
  /**
   * A top-level message of a direct conversation with the bot (not a reply inside one of its
   * threads): its turn sees the conversation's recent messages, whichever thread they are in.
   */
  direct?: boolean;
  /** The message this one replies to, shown to the model as quoted data labelled with its author, never as instructions. */
  quoted?: { author: string; text: string };
  /**
   * Called by the router once this delivery is to run a turn: a new message, or one whose turn
   * failed. Never for a retry of a message already answered or being answered, so a platform's
   * "working on it" mark (Slack's 👀) is not shown again for those.
   */
  acknowledge?: () => void;
}

/** A slash command, normalised by an adapter. */
export interface CommandInvocation {
  platform: Platform;
  /**
   * The platform's id of this request (Slack's `trigger_id`), kept durably: a second request
   * with the same id runs nothing and is answered with `duplicate`. Interactions (buttons) carry
   * a trigger_id too and are to pass it the same way.
   */
  deliveryId?: string;
  channel: string;
  channelName?: string;
  thread?: string;
  author: Author;
  /** With its slash, lower case: `/memory`. */
  command: string;
  text: string;
}

export interface CommandReply {
  text: string;
  /** This request was handled already (see `deliveryId`): nothing ran, and nothing new needs saying. */
  duplicate?: boolean;
}
