import type { FileRequest } from "../file-host.js";
import { notify, type Waiter, waitOn } from "./wait.js";
import type { RecordedCall } from "./web-api/args.js";
import { chatMethods } from "./web-api/chat.js";
import { conversationMethods } from "./web-api/conversations.js";
import { type HostFileInput, type SlackFileObject, SlackFiles } from "./web-api/files.js";
import { serveSlackApi } from "./web-api/http.js";
import { type ResponseUrlContext, type ResponseUrlPost, ResponseUrls } from "./web-api/response-url.js";
import { type RouteHandler, SlackRouter, type TokenRules } from "./web-api/router.js";
import { type FakeSlackScript, SlackScript } from "./web-api/script.js";
import {
  type EphemeralMessage,
  type FakeSlackChannel,
  type FakeSlackMessage,
  type FakeSlackUser,
  type SeedMessage,
  SlackState,
  type ThreadStatus,
} from "./web-api/state.js";
import { streamMethods } from "./web-api/streaming.js";
import { workspaceMethods } from "./web-api/workspace.js";

export type { RecordedCall } from "./web-api/args.js";
export type { HostFileInput, SlackFileObject } from "./web-api/files.js";
export type { ResponseUrlContext, ResponseUrlPost } from "./web-api/response-url.js";
export type { RouteHandler } from "./web-api/router.js";
export type { FakeSlackScript } from "./web-api/script.js";
export type { EphemeralMessage, FakeSlackChannel, FakeSlackMessage, FakeSlackUser, ThreadStatus } from "./web-api/state.js";

/**
 * A fake Slack Web API on loopback (`POST /api/<method>`), speaking the wire format of the real
 * `@slack/web-api` client and answering in Slack's documented shapes. Messages are stateful, so a
 * test can read a thread's final content after the bot has posted, edited and streamed into it.
 *
 * This file puts the pieces under web-api/ together: the HTTP server (http.ts), the workspace's
 * state (state.ts), the method handlers (chat, streaming, conversations, workspace), the router
 * with its token checks (router.ts), scripted failures (script.ts) and response_url (response-url.ts).
 */

export interface FakeSlackApiOptions extends TokenRules {
  /** Longest `text` chat.postMessage / chat.update accept before `msg_too_long`; Slack's is 40,000. */
  maxTextLength?: number;
  /** Longest `markdown_text` per stream call; Slack documents 12,000. */
  maxStreamTextLength?: number;
  /**
   * Slack refuses chat.startStream in a channel (not a DM) without `recipient_team_id` and
   * `recipient_user_id` (`missing_recipient_team_id` / `missing_recipient_user_id`). Default true.
   */
  requireStreamRecipients?: boolean;
  /** Users known to users.info besides the bot; unknown ids get a generated profile. */
  users?: FakeSlackUser[];
}

export interface FakeSlackApi {
  /** Web API base, e.g. `http://127.0.0.1:PORT/api/` (SLACK_API_URL / WebClient `slackApiUrl`). */
  url: string;
  /** Server origin, e.g. `http://127.0.0.1:PORT`. */
  origin: string;
  calls: RecordedCall[];
  callsTo(method: string): RecordedCall[];
  /**
   * Resolves with the first call (already answered, or answered later) that matches; a string
   * matches by method. Rejects after `timeoutMs` (default 5,000) listing the calls seen.
   */
  waitFor(predicate: string | ((call: RecordedCall) => boolean), timeoutMs?: number): Promise<RecordedCall>;
  script: FakeSlackScript;
  /** The stored messages of a channel (all of them) or of one thread (parent first), in ts order. */
  messagesIn(channel: string, threadTs?: string): FakeSlackMessage[];
  message(channel: string, ts: string): FakeSlackMessage | undefined;
  /** Stores a message as if a user (or another app) had posted it; `ts` defaults to a new one. */
  addMessage(message: SeedMessage): FakeSlackMessage;
  /** Edits or deletes a stored message the way a user's edit/delete would. */
  editMessage(channel: string, ts: string, text: string): void;
  deleteMessage(channel: string, ts: string): void;
  addUser(user: FakeSlackUser): void;
  /** Names a conversation for conversations.info (any `C0…` id is already the channel named after it). */
  addChannel(channel: FakeSlackChannel): void;
  /** Reaction names currently on a message (whether or not the message itself is stored). */
  reactionsOn(channel: string, ts: string): string[];
  ephemerals: EphemeralMessage[];
  statuses: ThreadStatus[];
  /** The last assistant.threads.setStatus status of a thread ("" once cleared). */
  statusOf(channel: string, threadTs: string): string | undefined;
  /**
   * Hosts a file on this server as Slack hosts uploads (`url_private`, served only with the bot
   * token) and returns its file object, to put in a message event's `files`.
   */
  hostFile(input: HostFileInput): SlackFileObject;
  /** Requests for hosted files, in arrival order, with the Authorization each carried. */
  fileRequests: FileRequest[];
  /** A new response_url on this server, as Slack puts in a slash command. */
  newResponseUrl(context?: ResponseUrlContext): string;
  responses: ResponseUrlPost[];
  waitForResponse(predicate?: (post: ResponseUrlPost) => boolean, timeoutMs?: number): Promise<ResponseUrlPost>;
  /** Adds or replaces a method; `appToken` methods want an `xapp-` token, like apps.connections.open. */
  route(method: string, handler: RouteHandler, options?: { appToken?: boolean }): void;
  /** Clears calls, messages, reactions, statuses, responses and the script; keeps routes and users. */
  reset(): void;
  stop(): Promise<void>;
}

export async function startFakeSlackApi(options: FakeSlackApiOptions = {}): Promise<FakeSlackApi> {
  const state = new SlackState(options.users ?? []);
  const script = new SlackScript();
  const router = new SlackRouter(
    {
      ...workspaceMethods(state),
      ...chatMethods(state, options.maxTextLength ?? 40_000),
      ...streamMethods(state, {
        maxStreamText: options.maxStreamTextLength ?? 12_000,
        requireRecipients: options.requireStreamRecipients ?? true,
      }),
      ...conversationMethods(state),
    },
    script,
    options,
  );
  const responseUrls = new ResponseUrls(state);
  let origin = "";
  const files = new SlackFiles(() => origin, options.botToken);
  const calls: RecordedCall[] = [];
  const callWaiters: Waiter<RecordedCall>[] = [];

  const http = await serveSlackApi({
    async api(call, reply) {
      calls.push(call);
      const result = await router.answer(call);
      call.status = result.status;
      call.response = result.body;
      call.answeredAt = Date.now();
      reply(result);
      notify(callWaiters, call);
    },
    responseUrl: (id, body, at, reply) => responseUrls.receive(id, body, at, reply),
    file: (req, res, path) => files.host.serve(req, res, path),
  });
  origin = http.origin;

  return {
    url: `${origin}/api/`,
    origin,
    calls,
    callsTo: (method) => calls.filter((call) => call.method === method),
    waitFor(predicate, timeoutMs = 5_000) {
      const test = typeof predicate === "string" ? (call: RecordedCall) => call.method === predicate : predicate;
      return waitOn(
        callWaiters,
        calls.filter((call) => call.response !== undefined),
        test,
        timeoutMs,
        () =>
          `no matching Slack call within ${timeoutMs} ms; calls seen: ${calls.map((c) => `${c.method}→${String(c.response?.error ?? (c.response ? "ok" : "pending"))}`).join(", ") || "none"}`,
      );
    },
    script,
    messagesIn: (channel, threadTs) => state.messagesIn(channel, threadTs),
    message: (channel, ts) => state.message(channel, ts),
    addMessage: (message) => state.seed(message),
    editMessage: (channel, ts, text) => state.userEdit(channel, ts, text),
    deleteMessage: (channel, ts) => state.delete(channel, ts),
    addUser: (user) => state.addUser(user),
    addChannel: (channel) => state.addChannel(channel),
    reactionsOn: (channel, ts) => state.reactionsOn(channel, ts),
    ephemerals: state.ephemerals,
    statuses: state.statuses,
    statusOf: (channel, threadTs) => state.statusOf(channel, threadTs),
    hostFile: (input) => files.add(input),
    fileRequests: files.host.requests,
    newResponseUrl: (context) => `${origin}/response/${responseUrls.issue(context)}`,
    responses: responseUrls.posts,
    waitForResponse: (predicate, timeoutMs) => responseUrls.waitFor(predicate, timeoutMs),
    route: (method, handler, opts) => router.route(method, handler, opts),
    reset() {
      calls.length = 0;
      state.clear();
      responseUrls.posts.length = 0;
      script.clear();
      files.host.clear();
    },
    stop: () => http.stop(),
  };
}
