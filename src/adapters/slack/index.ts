import type { RequestListener } from "node:http";
import { App, HTTPReceiver, SocketModeReceiver } from "@slack/bolt";
import type { Logger } from "pino";
import type { Config } from "../../config.js";
import type { Bot } from "../../core/bot.js";
import { leanFetch } from "../../core/lean-fetch.js";
import { directChannelName } from "../direct-channel.js";
import { APPROVE_ACTION, DENY_ACTION } from "./approval-actions.js";
import { approvalClick, refusalText } from "./approval-click.js";
import { SlackChannels } from "./channels.js";
import { isFromPerson, slackMessageEvent } from "./events.js";
import { slackAttachments } from "./files.js";
import { toMrkdwn } from "./format.js";
import { slackLogger } from "./logger.js";
import { SlackMessageText } from "./message-text.js";
import { SlackPeople } from "./people.js";
import { SlackPoster, type SlackPosterOptions } from "./poster.js";
import { refuseOutsideReplayWindow } from "./request-age.js";
import { mentionsSlackUser } from "./text.js";

export type SlackSettings = NonNullable<Config["slack"]>;

export interface SlackAdapter {
  /** Serves `/slack/events` over HTTP; absent in Socket Mode. */
  listener?: RequestListener;
  poster: SlackPoster;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Slack through Bolt: events, slash commands and approval clicks in, thread replies out. It only translates. */
export function createSlackAdapter(settings: SlackSettings, bot: Bot, log: Logger, posterOptions?: SlackPosterOptions): SlackAdapter {
  const logger = slackLogger(log);
  const clientOptions = { slackApiUrl: settings.apiUrl, fetch: leanFetch };
  const receiver = settings.appToken
    ? new SocketModeReceiver({ appToken: settings.appToken, logger, installerOptions: { clientOptions } })
    : new HTTPReceiver({ signingSecret: settings.signingSecret, endpoints: "/slack/events", logger });
  // Initialised in start(): Bolt's own start-up auth.test would otherwise reject unawaited on a bad token.
  // No conversation store: nothing reads Bolt's per-conversation state, and looking it up throws
  // (and builds a stack trace) for every event.
  const app = new App({
    token: settings.botToken,
    receiver,
    logger,
    clientOptions,
    ignoreSelf: true,
    deferInitialization: true,
    convoStore: false,
  });
  const poster = new SlackPoster(app.client, log, posterOptions);
  // Names and workspace roles (admins and owners are the bot's admins too).
  const people = new SlackPeople(app.client.users);
  // Mentions and channels by name, as people read them.
  const messageText = new SlackMessageText(people, new SlackChannels(app.client.conversations));
  let botUserId: string | undefined;

  const onMessage = async (raw: unknown, teamId: string | undefined) => {
    const parsed = slackMessageEvent.safeParse(raw);
    if (!parsed.success) {
      log.warn({ issues: parsed.error.issues.map((issue) => issue.path.join(".")) }, "ignored a malformed Slack event");
      return;
    }
    const event = parsed.data;
    if (!isFromPerson(event, botUserId)) return;
    const direct = event.channel_type === "im";
    const addressed = event.type === "app_mention" || direct || mentionsSlackUser(event.text, botUserId);
    if (!addressed && !(event.thread_ts && (await bot.knowsThread("slack", event.channel, event.thread_ts)))) return;

    const thread = { platform: "slack" as const, channel: event.channel, thread: event.thread_ts ?? event.ts };
    poster.noteRecipient(thread, event.user!, event.team ?? teamId);
    // The reaction (👀) while the answer is written, once the router says this delivery runs a turn
    // and the answer is not out within the delay; only the delivery that put it takes it off again,
    // once the answer is published.
    const reaction = settings.ackReaction;
    let reacted: Promise<boolean> | undefined;
    let pending: NodeJS.Timeout | undefined;
    const react = (name: string) => {
      reacted = app.client.reactions.add({ channel: event.channel, timestamp: event.ts, name }).then(
        () => true,
        () => false,
      );
    };
    const acknowledge = reaction
      ? () => {
          pending = setTimeout(react, settings.ackReactionDelayMs, reaction);
        }
      : undefined;
    try {
      const [author, text, channelName] = await Promise.all([
        people.get(event.user!),
        messageText.read(event.text, botUserId),
        direct ? undefined : messageText.channelName(event.channel),
      ]);
      // A mention arrives as both `message` and `app_mention`; keying on the message makes them one delivery.
      await bot.handleMessage(
        {
          platform: "slack",
          eventId: `${event.channel}:${event.ts}`,
          channel: event.channel,
          channelName: direct ? directChannelName(author) : channelName,
          thread: thread.thread,
          author,
          text,
          attachments: slackAttachments(event.files, settings),
          receivedAt: new Date(),
          // A DM's top-level messages are one conversation, though each gets its own thread.
          direct: direct && event.thread_ts === undefined,
          acknowledge,
        },
        poster,
      );
    } finally {
      clearTimeout(pending);
      if (reaction && (await reacted))
        await app.client.reactions.remove({ channel: event.channel, timestamp: event.ts, name: reaction }).catch(() => undefined);
    }
  };

  app.event("app_mention", async ({ event, body }) => onMessage(event, body.team_id));
  app.event("message", async ({ event, body }) => onMessage(event, body.team_id));

  const onApprovalClick = async (raw: unknown) => {
    const parsed = approvalClick.safeParse(raw);
    if (!parsed.success) {
      log.warn({ issues: parsed.error.issues.map((issue) => issue.path.join(".")) }, "ignored a malformed Slack approval click");
      return;
    }
    const click = parsed.data;
    const person = await people.get(click.user.id);
    // Slack streams to a named recipient outside DMs: the turn a click lets go on streams to the
    // clicker, also in a process that never saw the question. A stream already running keeps its own.
    poster.noteRecipient({ platform: "slack", channel: click.channel, thread: click.thread }, click.user.id, click.user.team);
    try {
      const result = await bot.decideApproval(
        {
          platform: "slack",
          id: click.id,
          approve: click.approve,
          by: { ...person, name: person.name ?? click.user.name },
          messageId: click.messageId,
        },
        poster,
      );
      if (result.status !== "decided") {
        await app.client.chat.postEphemeral({
          channel: click.channel,
          user: click.user.id,
          thread_ts: click.thread,
          text: refusalText(result),
        });
        return;
      }
      await result.turn;
    } catch (error) {
      log.error({ err: error, approval: click.id }, "Slack approval click failed");
    }
  };

  for (const actionId of [APPROVE_ACTION, DENY_ACTION])
    app.action(actionId, async ({ ack, body }) => {
      // Slack wants the ack within 3 s; the decision and the turn after it take longer.
      await ack();
      await onApprovalClick(body);
    });

  app.command(/^\/[a-z][\w-]*$/i, async ({ command, ack, respond }) => {
    await ack();
    const found = await people.get(command.user_id);
    const person = { ...found, name: found.name ?? command.user_name };
    // Named as messages name it: Slack calls every DM "directmessage" here.
    const channelName =
      command.channel_name === "directmessage"
        ? directChannelName(person)
        : ((await messageText.channelName(command.channel_id)) ?? command.channel_name);
    const reply = await bot.handleCommand({
      platform: "slack",
      // One request per person's action: a replayed or redelivered one carries the same trigger_id.
      deliveryId: `trigger:${command.trigger_id}`,
      channel: command.channel_id,
      channelName,
      author: person,
      command: command.command.toLowerCase(),
      text: command.text ?? "",
    });
    if (!reply.duplicate) await respond({ response_type: "ephemeral", text: toMrkdwn(reply.text) });
  });

  app.error(async (error) => {
    log.error({ err: error }, "slack handler failed");
  });

  return {
    listener: receiver instanceof HTTPReceiver ? refuseOutsideReplayWindow(receiver.requestListener) : undefined,
    poster,
    async start() {
      await app.init();
      const identity = await app.client.auth.test();
      botUserId = identity.user_id;
      if (receiver instanceof SocketModeReceiver) await receiver.start();
      log.info({ botUserId, mode: receiver instanceof SocketModeReceiver ? "socket" : "http" }, "Slack connected");
    },
    async stop() {
      if (receiver instanceof SocketModeReceiver) await receiver.stop();
    },
  };
}
