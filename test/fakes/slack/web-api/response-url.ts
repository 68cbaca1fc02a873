import { slackId } from "../ids.js";
import { notify, type Waiter, waitOn } from "../wait.js";
import type { SlackArgs } from "./args.js";
import type { Answer } from "./http.js";
import type { SlackState } from "./state.js";

/** Slash commands' response_url: the URLs the fake hands out and what was posted to them. */

/** What a slash command's response_url received. */
export interface ResponseUrlPost {
  id: string;
  /** The JSON posted: `{text, response_type, replace_original, delete_original, blocks, thread_ts, ...}`. */
  body: SlackArgs;
  at: number;
  /** The command the URL was issued for, when known. */
  context?: ResponseUrlContext;
}

export interface ResponseUrlContext {
  channel_id?: string;
  user_id?: string;
  command?: string;
}

export class ResponseUrls {
  readonly posts: ResponseUrlPost[] = [];
  private readonly waiters: Waiter<ResponseUrlPost>[] = [];
  private readonly contexts = new Map<string, ResponseUrlContext>();

  constructor(private readonly state: SlackState) {}

  /** A new response_url id, remembering the command it is for. */
  issue(context?: ResponseUrlContext): string {
    const id = slackId("R").toLowerCase();
    if (context) this.contexts.set(id, context);
    return id;
  }

  receive(id: string, body: SlackArgs, at: number, reply: (answer: Answer) => void): void {
    const context = this.contexts.get(id);
    const post: ResponseUrlPost = { id, body, at, ...(context ? { context } : {}) };
    this.posts.push(post);
    // An in_channel response becomes a real message in the channel, visible in its history.
    if (body.response_type === "in_channel" && context?.channel_id) {
      this.state.storeFromBot(
        context.channel_id,
        typeof body.thread_ts === "string" ? body.thread_ts : undefined,
        typeof body.text === "string" ? body.text : "",
        Array.isArray(body.blocks) ? { blocks: body.blocks } : {},
        "response_url",
      );
    }
    reply({ status: 200, body: { ok: true } });
    notify(this.waiters, post);
  }

  waitFor(predicate: (post: ResponseUrlPost) => boolean = () => true, timeoutMs = 5_000): Promise<ResponseUrlPost> {
    return waitOn(
      this.waiters,
      this.posts,
      predicate,
      timeoutMs,
      () => `no matching response_url post within ${timeoutMs} ms (${this.posts.length} seen)`,
    );
  }
}
