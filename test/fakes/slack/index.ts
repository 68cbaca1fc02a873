import {
  type BlockActionsInput,
  blockActions,
  type SendEventOptions,
  type SendOptions,
  type SlackEvent,
  type SlackHttpResult,
  type SlackInteraction,
  type SlashCommandInput,
  sendEvent,
  sendInteraction,
  sendSlashCommand,
  sendUrlVerification,
} from "./events.js";
import { type FakeSocketMode, type PushEventOptions, startFakeSocketMode } from "./socket-mode.js";
import { type FakeSlackApi, type FakeSlackApiOptions, startFakeSlackApi } from "./web-api.js";

export * from "./events.js";
export * from "./ids.js";
export * from "./socket-mode.js";
export * from "./web-api.js";

export interface FakeSlackOptions extends FakeSlackApiOptions {
  signingSecret?: string;
  /** Server ping interval on Socket Mode connections; default 5,000 ms, 0 for never. */
  pingIntervalMs?: number;
}

export interface SlackEnv {
  SLACK_BOT_TOKEN: string;
  SLACK_SIGNING_SECRET: string;
  SLACK_API_URL: string;
  SLACK_APP_TOKEN?: string;
}

/** One fake Slack: the Web API, Socket Mode, and a sender that signs with this workspace's secret. */
export interface FakeSlack {
  api: FakeSlackApi;
  socket: FakeSocketMode;
  /** The Web API base (`SLACK_API_URL`), ending in `/api/`. */
  apiUrl: string;
  signingSecret: string;
  botToken: string;
  appToken: string;
  /** Settings for the bot: HTTP Events API, or Socket Mode (adds SLACK_APP_TOKEN). */
  env(mode?: "http" | "socket"): SlackEnv;
  /**
   * Posts a signed event_callback to `url`. Unless `seed` is false, the fake's message store is
   * first updated the way Slack's would be (a user's message is stored, an edit applied, a
   * deletion removed), so conversations.replies sees what the event describes. A forged
   * (`badSignature`) request changes nothing.
   */
  sendEvent(url: string, event: SlackEvent, options?: SendEventOptions & { seed?: boolean }): Promise<SlackHttpResult>;
  sendUrlVerification(url: string, challenge: string, options?: SendOptions): Promise<SlackHttpResult>;
  /** Posts a signed slash command whose response_url points at this fake's Web API. */
  sendSlashCommand(url: string, input: SlashCommandInput, options?: SendOptions): Promise<SlackHttpResult>;
  /** A person's click on a button of `input.message`: a block_actions payload whose response_url is on this fake. */
  blockActions(input: BlockActionsInput): SlackInteraction;
  /** Posts a signed interaction (`payload=<JSON>` form) to `url`. */
  sendInteraction(url: string, payload: SlackInteraction, options?: SendOptions): Promise<SlackHttpResult>;
  /** Pushes an `interactive` envelope with `payload` over Socket Mode. */
  pushInteraction(payload: SlackInteraction): string;
  /** Pushes an events_api envelope over Socket Mode (seeding the store as sendEvent does). */
  pushEvent(event: SlackEvent, options?: PushEventOptions & { seed?: boolean }): string;
  /** Pushes a slash_commands envelope over Socket Mode, response_url on this fake. */
  pushSlashCommand(input: SlashCommandInput): string;
  /** Applies what `event` says happened to the message store (see sendEvent). */
  seed(event: SlackEvent): void;
  stop(): Promise<void>;
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botToken = options.botToken ?? "xoxb-0001-fake-bot-token";
  const appToken = options.appToken ?? "xapp-1-A0QUORUM-0001-fake-app-token";
  const signingSecret = options.signingSecret ?? "fake-signing-secret-0123456789abcdef";
  const api = await startFakeSlackApi({ ...options, botToken, appToken });
  const socket = await startFakeSocketMode({
    api,
    ...(options.pingIntervalMs !== undefined ? { pingIntervalMs: options.pingIntervalMs } : {}),
  });

  const seed = (event: SlackEvent) => {
    const channel = typeof event.channel === "string" ? event.channel : undefined;
    if (!channel) return;
    if (event.type === "message" && event.subtype === "message_changed") {
      const inner = event.message as { ts?: unknown; text?: unknown } | undefined;
      if (typeof inner?.ts === "string") api.editMessage(channel, inner.ts, String(inner.text ?? ""));
      return;
    }
    if (event.type === "message" && event.subtype === "message_deleted") {
      if (typeof event.deleted_ts === "string") api.deleteMessage(channel, event.deleted_ts);
      return;
    }
    const plain =
      event.subtype === undefined ||
      event.subtype === "thread_broadcast" ||
      event.subtype === "file_share" ||
      event.subtype === "bot_message";
    if ((event.type !== "message" && event.type !== "app_mention") || !plain) return;
    if (typeof event.ts !== "string" || api.message(channel, event.ts)) return; // twins and retries store once
    api.addMessage({
      channel,
      ts: event.ts,
      user: typeof event.user === "string" ? event.user : "",
      text: typeof event.text === "string" ? event.text : "",
      ...(typeof event.thread_ts === "string" ? { thread_ts: event.thread_ts } : {}),
      ...(typeof event.bot_id === "string" ? { bot_id: event.bot_id } : {}),
      ...(Array.isArray(event.blocks) ? { blocks: event.blocks } : {}),
    });
  };

  return {
    api,
    socket,
    apiUrl: api.url,
    signingSecret,
    botToken,
    appToken,
    env(mode = "http") {
      return {
        SLACK_BOT_TOKEN: botToken,
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_API_URL: api.url,
        ...(mode === "socket" ? { SLACK_APP_TOKEN: appToken } : {}),
      };
    },
    sendEvent(url, event, opts = {}) {
      if (opts.seed !== false && !opts.badSignature) seed(event);
      return sendEvent(url, signingSecret, event, opts);
    },
    sendUrlVerification: (url, challenge, opts) => sendUrlVerification(url, signingSecret, challenge, opts),
    sendSlashCommand: (url, input, opts = {}) => sendSlashCommand(url, signingSecret, input, { ...opts, responseUrls: api }),
    blockActions: (input) => blockActions(input, api),
    sendInteraction: (url, payload, opts) => sendInteraction(url, signingSecret, payload, opts),
    pushInteraction: (payload) => socket.pushInteraction(payload),
    pushEvent(event, opts = {}) {
      if (opts.seed !== false) seed(event);
      return socket.pushEvent(event, opts);
    },
    pushSlashCommand: (input) => socket.pushSlashCommand(input, { responseUrls: api }),
    seed,
    async stop() {
      await Promise.all([socket.stop(), api.stop()]);
    },
  };
}
