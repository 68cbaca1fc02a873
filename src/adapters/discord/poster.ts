import type { REST } from "@discordjs/rest";
import {
  ButtonStyle,
  ComponentType,
  type RESTPostAPIChannelMessageResult,
  type RESTPostAPIChannelThreadsResult,
  Routes,
} from "discord-api-types/v10";
import type { Logger } from "pino";
import { approvalText, decisionText } from "../../core/approval-text.js";
import type { ApprovalOutcomeView, ApprovalPrompt, OpenedThread, PostedMessage, Poster, ReplyStream } from "../../core/poster.js";
import { splitText } from "../../core/split-text.js";
import type { ThreadRef } from "../../core/thread.js";
import { type EditableMessage, EditStream } from "../edit-stream.js";
import { approvalButtonId, discordTime } from "./approval-buttons.js";

export const DISCORD_MESSAGE_LIMIT = 2_000;
// Discord shows "typing…" for ten seconds per call.
const TYPING_REFRESH_MS = 8_000;
// An answer whose first text comes sooner needs no "typing…": a call less against the bot's 50 per second.
const TYPING_DELAY_MS = 500;

/**
 * Writes into Discord channels and threads over REST alone, so a worker with just the token can post.
 * A ThreadRef's `thread` is the Discord channel the reply goes to: a thread, or a DM.
 */
export class DiscordPoster implements Poster {
  /** Threads being created, by id: what is written into one waits for it, nothing else does. */
  readonly #opening = new Map<string, Promise<unknown>>();

  constructor(
    private readonly rest: REST,
    private readonly log: Logger,
    private readonly options: { editIntervalMs?: number } = {},
  ) {}

  /**
   * Starts the thread of a mention on its message, through the same REST as every other write,
   * so the process keeps to Discord's one limit of 50 requests a second (discord.js counts it per
   * REST instance). The thread has the message's id; what is written into it waits for its
   * creation, the turn that answers in it does not. Settles once created, or with why not.
   */
  startThread(channel: string, message: string, name: string): Promise<unknown> {
    const created = this.rest.post(Routes.threads(channel, message), { body: { name, auto_archive_duration: 1440 } });
    const settled = created.then(
      () => undefined,
      () => undefined,
    );
    this.#opening.set(message, settled);
    void settled.then(() => {
      if (this.#opening.get(message) === settled) this.#opening.delete(message);
    });
    return created;
  }

  /** Resolves once the channel can be written to (at once, unless it is a thread being created). */
  #ready(channel: string): Promise<unknown> | undefined {
    return this.#opening.get(channel);
  }

  /** A thread started on a short message in the channel; the first message goes inside it, where it can be edited as a thread's own. */
  async openThread(to: Omit<ThreadRef, "thread">, title: string, text: string): Promise<OpenedThread> {
    const starter = await this.#create(to.channel, `🧵 ${title}`);
    const thread = (await this.rest.post(Routes.threads(to.channel, starter.id), {
      body: { name: title.slice(0, 100) || "Quorum", auto_archive_duration: 1440 },
    })) as RESTPostAPIChannelThreadsResult;
    const [first] = await this.#postAll(thread.id, splitText(text, DISCORD_MESSAGE_LIMIT));
    return { thread: thread.id, messageId: first ?? "" };
  }

  async post(to: ThreadRef, text: string): Promise<PostedMessage> {
    await this.#ready(to.thread);
    const [first] = await this.#postAll(to.thread, splitText(text, DISCORD_MESSAGE_LIMIT));
    return { id: first ?? "" };
  }

  async update(to: ThreadRef, messageId: string, text: string): Promise<void> {
    const [first = "", ...rest] = splitText(text, DISCORD_MESSAGE_LIMIT);
    await this.#ready(to.thread);
    await this.rest.patch(Routes.channelMessage(to.thread, messageId), { body: { content: first } });
    await this.#postAll(to.thread, rest);
  }

  /** The prompt with Approve and Deny buttons (message components) whose custom ids carry the approval's id. */
  async askApproval(to: ThreadRef, prompt: ApprovalPrompt): Promise<PostedMessage> {
    await this.#ready(to.thread);
    const posted = (await this.rest.post(Routes.channelMessages(to.thread), {
      body: {
        content: cut(approvalText(prompt)),
        allowed_mentions: { parse: [] },
        components: [
          {
            type: ComponentType.ActionRow,
            components: [
              {
                type: ComponentType.Button,
                style: ButtonStyle.Success,
                label: "Approve",
                custom_id: approvalButtonId("approve", prompt.id),
              },
              { type: ComponentType.Button, style: ButtonStyle.Danger, label: "Deny", custom_id: approvalButtonId("deny", prompt.id) },
            ],
          },
        ],
      },
    })) as RESTPostAPIChannelMessageResult;
    return { id: posted.id };
  }

  /** The buttons give way to who decided and when, in each reader's own time zone. */
  async showDecision(to: ThreadRef, messageId: string, prompt: ApprovalPrompt, outcome: ApprovalOutcomeView): Promise<void> {
    const decided = decisionText(outcome, discordTime(outcome.at));
    await this.rest.patch(Routes.channelMessage(to.thread, messageId), {
      body: { content: cut(`${approvalText(prompt)}\n${decided}`), components: [] },
    });
  }

  stream(to: ThreadRef): ReplyStream {
    const channel = to.thread;
    let typing: NodeJS.Timeout | undefined;
    let answered = false;
    const stopTyping = () => {
      answered = true;
      clearTimeout(typing);
      clearInterval(typing);
    };
    const type = async () => {
      await this.#ready(channel);
      // Text went out while the thread was created: "typing…" now would show after the answer.
      if (answered) return;
      await this.rest
        .post(Routes.channelTyping(channel))
        .catch((error: unknown) => this.log.debug({ err: error }, "typing indicator failed"));
    };
    typing = setTimeout(() => {
      void type();
      typing = setInterval(type, TYPING_REFRESH_MS);
      typing.unref();
    }, TYPING_DELAY_MS);
    typing.unref();
    const editable: EditableMessage = {
      post: async (text) => {
        stopTyping();
        await this.#ready(channel);
        return (await this.#create(channel, text)).id;
      },
      edit: async (id, text) => void (await this.rest.patch(Routes.channelMessage(channel, id), { body: { content: text } })),
      publish: async (id, text) => {
        stopTyping();
        await this.#ready(channel);
        const [first = "", ...rest] = splitText(text, DISCORD_MESSAGE_LIMIT);
        let firstId = id;
        if (id === undefined) firstId = (await this.#create(channel, first)).id;
        else await this.rest.patch(Routes.channelMessage(channel, id), { body: { content: first } });
        await this.#postAll(channel, rest);
        return firstId ?? "";
      },
      // Live text stops growing near the limit; the final answer is split properly.
      preview: (text) => `${text.length > DISCORD_MESSAGE_LIMIT - 10 ? text.slice(0, DISCORD_MESSAGE_LIMIT - 10) : text} …`,
    };
    return new EditStream(editable, this.options.editIntervalMs ?? 1_000, this.log);
  }

  async #postAll(channel: string, pieces: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const piece of pieces) ids.push((await this.#create(channel, piece)).id);
    return ids;
  }

  #create(channel: string, content: string): Promise<RESTPostAPIChannelMessageResult> {
    // Answers never ping anyone they quote.
    return this.rest.post(Routes.channelMessages(channel), {
      body: { content, allowed_mentions: { parse: [] } },
    }) as Promise<RESTPostAPIChannelMessageResult>;
  }
}

/** A message's content within Discord's limit (a prompt's arguments are cut before this matters). */
function cut(text: string): string {
  return text.length <= DISCORD_MESSAGE_LIMIT ? text : `${text.slice(0, DISCORD_MESSAGE_LIMIT - 1)}…`;
}
