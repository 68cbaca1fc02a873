import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { FAKE_SLACK, nextTs, slackId } from "./ids.js";

/**
 * What Slack sends to an app over HTTP: signed Events API callbacks, url_verification and slash
 * command posts, with the payload shapes Slack documents, plus builders for the inner events.
 */

/** An Events API inner event (`event` of an event_callback). */
export type SlackEvent = { type: string } & Record<string, unknown>;

export interface EventCallbackEnvelope {
  token: string;
  team_id: string;
  context_team_id: string;
  context_enterprise_id: null;
  api_app_id: string;
  event: SlackEvent;
  type: "event_callback";
  event_id: string;
  event_time: number;
  authorizations: { enterprise_id: null; team_id: string; user_id: string; is_bot: boolean; is_enterprise_install: boolean }[];
  is_ext_shared_channel: boolean;
  event_context: string;
}

export interface EnvelopeOptions {
  /** Defaults to a new unique "Ev..." id; reuse one to model Slack redelivering the same event. */
  eventId?: string;
  /** Seconds; defaults to the event's event_ts. */
  eventTime?: number;
  teamId?: string;
  apiAppId?: string;
}

export interface SendOptions {
  /** X-Slack-Request-Timestamp in seconds; default now (use an old one for a stale request). */
  timestamp?: number;
  /** Sign with the wrong secret. */
  badSignature?: boolean;
  /** Extra or overriding headers. */
  headers?: Record<string, string>;
}

export interface SendEventOptions extends SendOptions, EnvelopeOptions {
  /** Sets X-Slack-Retry-Num (Slack retries 1, 2, 3). */
  retryNum?: number;
  /** X-Slack-Retry-Reason; default "http_timeout" when retryNum is set. */
  retryReason?: string;
}

export interface SlackHttpResult {
  status: number;
  /** The raw response body. */
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
  headers: Record<string, string>;
}

export interface SlackSignatureHeaders {
  "X-Slack-Signature": string;
  "X-Slack-Request-Timestamp": string;
}

/** Slack's v0 request signature: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>`. */
export function signSlackRequest(signingSecret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): SlackSignatureHeaders {
  const digest = createHmac("sha256", signingSecret).update(`v0:${timestamp}:${body}`).digest("hex");
  return { "X-Slack-Signature": `v0=${digest}`, "X-Slack-Request-Timestamp": String(timestamp) };
}

/** Posts `body` to `url` signed the way Slack signs it (or badly, when asked). */
export async function sendSignedRequest(
  url: string,
  signingSecret: string,
  body: string,
  contentType: string,
  options: SendOptions = {},
): Promise<SlackHttpResult> {
  const secret = options.badSignature ? `${signingSecret}-wrong` : signingSecret;
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": contentType,
      "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
      Accept: "*/*",
      ...signSlackRequest(secret, body, options.timestamp),
      ...options.headers,
    },
    body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, body: text, json, headers: Object.fromEntries(response.headers.entries()) };
}

/** The event_callback envelope Slack wraps around `event`, over HTTP and inside Socket Mode. */
export function eventEnvelope(event: SlackEvent, options: EnvelopeOptions = {}): EventCallbackEnvelope {
  const teamId = options.teamId ?? FAKE_SLACK.teamId;
  const eventTs = typeof event.event_ts === "string" ? event.event_ts : typeof event.ts === "string" ? event.ts : undefined;
  return {
    token: FAKE_SLACK.verificationToken,
    team_id: teamId,
    context_team_id: teamId,
    context_enterprise_id: null,
    api_app_id: options.apiAppId ?? FAKE_SLACK.appId,
    event,
    type: "event_callback",
    event_id: options.eventId ?? slackId("Ev"),
    event_time: options.eventTime ?? (eventTs ? Math.floor(Number(eventTs)) : Math.floor(Date.now() / 1000)),
    authorizations: [{ enterprise_id: null, team_id: teamId, user_id: FAKE_SLACK.botUserId, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event_context: `4-${randomBytes(24).toString("base64url")}`,
  };
}

/** Posts an Events API callback for `event`; returns the app's answer. */
export function sendEvent(url: string, signingSecret: string, event: SlackEvent, options: SendEventOptions = {}): Promise<SlackHttpResult> {
  const body = JSON.stringify(eventEnvelope(event, options));
  const headers: Record<string, string> = {};
  if (options.retryNum !== undefined) {
    headers["X-Slack-Retry-Num"] = String(options.retryNum);
    headers["X-Slack-Retry-Reason"] = options.retryReason ?? "http_timeout";
  }
  return sendSignedRequest(url, signingSecret, body, "application/json", { ...options, headers: { ...headers, ...options.headers } });
}

/** The url_verification handshake Slack sends when the Request URL is saved; the app must echo `challenge`. */
export function sendUrlVerification(
  url: string,
  signingSecret: string,
  challenge: string,
  options: SendOptions = {},
): Promise<SlackHttpResult> {
  const body = JSON.stringify({ token: FAKE_SLACK.verificationToken, challenge, type: "url_verification" });
  return sendSignedRequest(url, signingSecret, body, "application/json", options);
}

// ---- slash commands ---------------------------------------------------------------------------

export interface SlashCommandInput {
  /** Including the slash, e.g. "/project". */
  command: string;
  text?: string;
  channel_id?: string;
  channel_name?: string;
  user_id?: string;
  user_name?: string;
  team_id?: string;
  team_domain?: string;
  api_app_id?: string;
  /** Defaults to a URL on the fake Web API when `responseUrls` is given, else a hooks.slack.com one. */
  response_url?: string;
  trigger_id?: string;
}

/** Anything that can issue response URLs: the fake Web API does. */
export interface ResponseUrlIssuer {
  newResponseUrl(context?: { channel_id?: string; user_id?: string; command?: string }): string;
}

export interface SendSlashCommandOptions extends SendOptions {
  /** Issues the command's response_url (pass the fake Web API so `respond()` posts land there). */
  responseUrls?: ResponseUrlIssuer;
}

/** The fields of a slash command in the order Slack sends them. */
export function slashCommandPayload(input: SlashCommandInput, responseUrls?: ResponseUrlIssuer): Record<string, string> {
  const channelId = input.channel_id ?? "C0GENERAL";
  const userId = input.user_id ?? "U0ADA";
  const responseUrl =
    input.response_url ??
    responseUrls?.newResponseUrl({ channel_id: channelId, user_id: userId, command: input.command }) ??
    `https://hooks.slack.com/commands/${FAKE_SLACK.teamId}/${Date.now()}/${randomBytes(12).toString("hex")}`;
  return {
    token: FAKE_SLACK.verificationToken,
    team_id: input.team_id ?? FAKE_SLACK.teamId,
    team_domain: input.team_domain ?? FAKE_SLACK.teamDomain,
    channel_id: channelId,
    channel_name: input.channel_name ?? (channelId.startsWith("D") ? "directmessage" : "general"),
    user_id: userId,
    user_name: input.user_name ?? userId.toLowerCase().replace(/^u0/, ""),
    command: input.command,
    text: input.text ?? "",
    api_app_id: input.api_app_id ?? FAKE_SLACK.appId,
    is_enterprise_install: "false",
    response_url: responseUrl,
    trigger_id: input.trigger_id ?? `${Date.now()}.${Math.floor(Math.random() * 1e9)}.${randomBytes(16).toString("hex")}`,
  };
}

/** Posts a slash command as Slack does: application/x-www-form-urlencoded, signed. */
export function sendSlashCommand(
  url: string,
  signingSecret: string,
  input: SlashCommandInput,
  options: SendSlashCommandOptions = {},
): Promise<SlackHttpResult> {
  const body = new URLSearchParams(slashCommandPayload(input, options.responseUrls)).toString();
  return sendSignedRequest(url, signingSecret, body, "application/x-www-form-urlencoded", options);
}

// ---- event builders ---------------------------------------------------------------------------

export interface MessageInput {
  channel?: string;
  user?: string;
  text: string;
  /** Defaults to a new ts (later than every earlier one). */
  ts?: string;
  /** Set for a reply in a thread. */
  thread_ts?: string;
  /** The thread parent's author, which Slack adds to replies. */
  parent_user_id?: string;
  team?: string;
}

/** Slack's rich_text block for plain text with `<@U…>`, `<#C…>` and `<https://…|label>` markup. */
export function richTextBlocks(text: string): unknown[] {
  const elements: Record<string, unknown>[] = [];
  const pattern = /<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|<#(C[A-Z0-9]+)(?:\|[^>]*)?>|<(https?:\/\/[^>|]+)(?:\|([^>]*))?>/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const index = match.index ?? 0;
    if (index > last) elements.push({ type: "text", text: text.slice(last, index) });
    if (match[1]) elements.push({ type: "user", user_id: match[1] });
    else if (match[2]) elements.push({ type: "channel", channel_id: match[2] });
    else if (match[3]) elements.push({ type: "link", url: match[3], ...(match[4] ? { text: match[4] } : {}) });
    last = index + match[0].length;
  }
  if (last < text.length) elements.push({ type: "text", text: text.slice(last) });
  return [{ type: "rich_text", block_id: randomBytes(3).toString("base64url"), elements: [{ type: "rich_text_section", elements }] }];
}

function userMessage(type: "message" | "app_mention", input: MessageInput, channelType?: string): SlackEvent {
  const ts = input.ts ?? nextTs();
  const event: SlackEvent = {
    type,
    user: input.user ?? "U0ADA",
    ts,
    client_msg_id: randomUUID(),
    text: input.text,
    team: input.team ?? FAKE_SLACK.teamId,
    blocks: richTextBlocks(input.text),
    channel: input.channel ?? "C0GENERAL",
    event_ts: ts,
  };
  if (input.thread_ts) {
    event.thread_ts = input.thread_ts;
    if (input.parent_user_id) event.parent_user_id = input.parent_user_id;
  }
  if (channelType) event.channel_type = channelType;
  return event;
}

/** `app_mention`: the text should contain `<@U0BOT>` (Slack sends the mention in the text). */
export function appMention(input: MessageInput): SlackEvent {
  return userMessage("app_mention", input);
}

/** A user's message in a public channel (`message.channels`); "group" for a private one. */
export function channelMessage(input: MessageInput & { channel_type?: "channel" | "group" | "mpim" }): SlackEvent {
  return userMessage("message", input, input.channel_type ?? "channel");
}

/** A user's message in a DM with the bot (`message.im`). */
export function imMessage(input: MessageInput): SlackEvent {
  return userMessage("message", { ...input, channel: input.channel ?? "D0ADA" }, "im");
}

export interface BotMessageInput {
  channel?: string;
  text: string;
  ts?: string;
  thread_ts?: string;
  bot_id?: string;
  /**
   * Set for a message an app posted with its bot token (how the bot's own replies come back):
   * no subtype, `user` + `bot_id` + `app_id` + `bot_profile`. Unset: a classic integration's
   * `subtype: "bot_message"` with `username` and no `user`.
   */
  user?: string;
  username?: string;
  channel_type?: string;
}

/** A message posted by a bot or integration, as Slack echoes it to message subscribers. */
export function botMessage(input: BotMessageInput): SlackEvent {
  const ts = input.ts ?? nextTs();
  const channel = input.channel ?? "C0GENERAL";
  const event: SlackEvent = input.user
    ? {
        type: "message",
        user: input.user,
        bot_id: input.bot_id ?? "B0OTHER",
        app_id: input.bot_id === FAKE_SLACK.botId ? FAKE_SLACK.appId : "A0OTHER",
        text: input.text,
        ts,
        team: FAKE_SLACK.teamId,
        bot_profile: { id: input.bot_id ?? "B0OTHER", name: input.username ?? "otherbot", deleted: false, team_id: FAKE_SLACK.teamId },
        blocks: richTextBlocks(input.text),
      }
    : {
        type: "message",
        subtype: "bot_message",
        text: input.text,
        ts,
        username: input.username ?? "otherbot",
        bot_id: input.bot_id ?? "B0OTHER",
        icons: {},
      };
  event.channel = channel;
  event.event_ts = ts;
  event.channel_type = input.channel_type ?? (channel.startsWith("D") ? "im" : "channel");
  if (input.thread_ts) event.thread_ts = input.thread_ts;
  return event;
}

/** The bot's own post echoed back (what a bot must never answer). */
export function selfMessage(input: Omit<BotMessageInput, "user" | "bot_id">): SlackEvent {
  return botMessage({ ...input, user: FAKE_SLACK.botUserId, bot_id: FAKE_SLACK.botId, username: FAKE_SLACK.botName });
}

export interface MessageChangedInput {
  channel?: string;
  user?: string;
  /** The ts of the message that was edited. */
  ts: string;
  text: string;
  previousText?: string;
  thread_ts?: string;
  channel_type?: string;
}

/** `message` / `message_changed`: a user edited a message. */
export function messageChanged(input: MessageChangedInput): SlackEvent {
  const eventTs = nextTs();
  const user = input.user ?? "U0ADA";
  const channel = input.channel ?? "C0GENERAL";
  const inner = (text: string, edited: boolean): Record<string, unknown> => ({
    type: "message",
    user,
    text,
    ts: input.ts,
    client_msg_id: randomUUID(),
    team: FAKE_SLACK.teamId,
    blocks: richTextBlocks(text),
    ...(input.thread_ts ? { thread_ts: input.thread_ts } : {}),
    ...(edited ? { edited: { user, ts: eventTs } } : {}),
  });
  return {
    type: "message",
    subtype: "message_changed",
    message: inner(input.text, true),
    previous_message: inner(input.previousText ?? "", false),
    channel,
    hidden: true,
    ts: eventTs,
    event_ts: eventTs,
    channel_type: input.channel_type ?? (channel.startsWith("D") ? "im" : "channel"),
  };
}

// ---- interactions ---------------------------------------------------------------------------

/** An interaction payload (`block_actions`, `view_submission`, ...): the JSON inside the `payload` form field. */
export type SlackInteraction = { type: string } & Record<string, unknown>;

/** The message a button sits on, as the fake stores it (a FakeSlackMessage will do). */
export interface ClickedMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  user?: string;
  bot_id?: string;
  blocks?: unknown[];
}

export interface BlockActionsInput {
  message: ClickedMessage;
  /** The clicked button's action_id; its block_id, value and text are read from the message's blocks. */
  action_id: string;
  /** Who clicks; default U0ADA. */
  user?: string;
  /** The clicker's handle; defaults like a slash command's user_name. */
  username?: string;
  channel_name?: string;
  /** Defaults to a URL on the fake Web API when `responseUrls` is given, else a hooks.slack.com one. */
  response_url?: string;
  trigger_id?: string;
}

interface Button {
  block_id: string;
  action_id: string;
  value?: string;
  text?: unknown;
  style?: string;
}

/** The button with `actionId` in a message's actions blocks, with its block's id. */
function findButton(blocks: unknown[], actionId: string): Button | undefined {
  for (const block of blocks as { type?: unknown; block_id?: unknown; elements?: unknown }[]) {
    if (block?.type !== "actions" || !Array.isArray(block.elements)) continue;
    const element = (block.elements as Omit<Button, "block_id">[]).find((e) => e?.action_id === actionId);
    if (element) return { ...element, block_id: String(block.block_id) };
  }
  return undefined;
}

/**
 * The `block_actions` payload Slack sends when a person clicks a button on a message in a
 * channel: who clicked, the channel, the message (container and copy) and the one action.
 */
export function blockActions(input: BlockActionsInput, responseUrls?: ResponseUrlIssuer): SlackInteraction {
  const button = findButton(input.message.blocks ?? [], input.action_id);
  if (!button) throw new Error(`no button ${input.action_id} on message ${input.message.ts}`);
  const { channel, ts, thread_ts: threadTs, text, user: author, bot_id: botId, blocks } = input.message;
  const userId = input.user ?? "U0ADA";
  const username = input.username ?? userId.toLowerCase().replace(/^u0/, "");
  return {
    type: "block_actions",
    user: { id: userId, username, name: username, team_id: FAKE_SLACK.teamId },
    api_app_id: FAKE_SLACK.appId,
    token: FAKE_SLACK.verificationToken,
    container: {
      type: "message",
      message_ts: ts,
      channel_id: channel,
      is_ephemeral: false,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
    trigger_id: input.trigger_id ?? `${Date.now()}.${Math.floor(Math.random() * 1e9)}.${randomBytes(16).toString("hex")}`,
    team: { id: FAKE_SLACK.teamId, domain: FAKE_SLACK.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name: input.channel_name ?? (channel.startsWith("D") ? "directmessage" : "general") },
    message: {
      type: "message",
      ...(author ? { user: author } : {}),
      ...(botId ? { bot_id: botId, app_id: FAKE_SLACK.appId } : {}),
      text,
      ts,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      team: FAKE_SLACK.teamId,
      ...(blocks ? { blocks } : {}),
    },
    state: { values: {} },
    response_url:
      input.response_url ??
      responseUrls?.newResponseUrl({ channel_id: channel, user_id: userId }) ??
      `https://hooks.slack.com/actions/${FAKE_SLACK.teamId}/${Date.now()}/${randomBytes(12).toString("hex")}`,
    actions: [
      {
        type: "button",
        action_id: button.action_id,
        block_id: button.block_id,
        ...(button.value !== undefined ? { value: button.value } : {}),
        ...(button.style ? { style: button.style } : {}),
        text: button.text,
        action_ts: nextTs(),
      },
    ],
  };
}

/** Posts an interaction as Slack does: a signed form whose one field, `payload`, is the JSON. */
export function sendInteraction(
  url: string,
  signingSecret: string,
  payload: SlackInteraction,
  options: SendOptions = {},
): Promise<SlackHttpResult> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return sendSignedRequest(url, signingSecret, body, "application/x-www-form-urlencoded", options);
}
