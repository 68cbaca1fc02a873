import { compareTs, FAKE_SLACK, nextTs } from "../ids.js";
import { type SlackArgs, SlackError } from "./args.js";

/**
 * What the fake workspace holds: its messages (stateful, so a test can read a thread's final
 * content after the bot has posted, edited and streamed into it), the bot's reactions,
 * ephemeral messages, assistant thread statuses and the users it knows.
 */

/** One write to a stored message, with its arrival time (for edit-rate assertions). */
export interface MessageWrite {
  method: string;
  at: number;
  /** The message text after this write. */
  text: string;
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  user: string;
  bot_id?: string;
  /** The final text: for streamed messages, the concatenation of every markdown_text sent. */
  text: string;
  blocks?: unknown[];
  metadata?: unknown;
  /** Streaming chunks other than markdown text (task_update, plan_update, blocks), in order. */
  chunks?: unknown[];
  /** "streaming" between chat.startStream and chat.stopStream, then "stopped"; absent for plain posts. */
  stream?: "streaming" | "stopped";
  /** Successful chat.update calls on this message. */
  edits: number;
  /** Every write: the post or startStream, each update, append and stop. */
  writes: MessageWrite[];
  edited?: { user: string; ts: string };
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  message_ts: string;
  at: number;
}

export interface ThreadStatus {
  channel_id: string;
  thread_ts: string;
  status: string;
  at: number;
}

export interface FakeSlackUser {
  id: string;
  name: string;
  real_name?: string;
  display_name?: string;
  is_bot?: boolean;
  /** Workspace admin; owners are admins too, as Slack reports them. */
  is_admin?: boolean;
  is_owner?: boolean;
}

/** A conversation conversations.info describes; any other `C…`/`G…` id is a channel named after it, `D…` a DM. */
export interface FakeSlackChannel {
  id: string;
  /** Absent for a DM. */
  name?: string;
  is_private?: boolean;
  /** For a DM: the person in it. */
  user?: string;
}

/** A message as a user (or another app) posts it, for seeding the store. */
export interface SeedMessage {
  channel: string;
  user: string;
  text: string;
  ts?: string;
  thread_ts?: string;
  bot_id?: string;
  blocks?: unknown[];
}

type NewMessage = Omit<FakeSlackMessage, "edits" | "writes">;

const key = (channel: string, ts: string) => `${channel}/${ts}`;

export class SlackState {
  private readonly messages = new Map<string, FakeSlackMessage>();
  /** channel/ts → reaction name → users who reacted. */
  private readonly reactions = new Map<string, Map<string, Set<string>>>();
  readonly ephemerals: EphemeralMessage[] = [];
  readonly statuses: ThreadStatus[] = [];
  readonly users = new Map<string, FakeSlackUser>();
  readonly channels = new Map<string, FakeSlackChannel>();

  constructor(users: FakeSlackUser[]) {
    this.addUser({ id: FAKE_SLACK.botUserId, name: FAKE_SLACK.botName, real_name: "Quorum", display_name: "Quorum", is_bot: true });
    for (const user of users) this.addUser(user);
  }

  addUser(user: FakeSlackUser): void {
    this.users.set(user.id, user);
  }

  addChannel(channel: FakeSlackChannel): void {
    this.channels.set(channel.id, channel);
  }

  /** A known conversation, or the one its id implies: `C0GENERAL` is #general, `D0ADA` a DM with U0ADA. */
  channel(id: string): FakeSlackChannel | undefined {
    const known = this.channels.get(id);
    if (known) return known;
    if (/^[CG]0[A-Z0-9]+$/.test(id)) return { id, name: id.slice(2).toLowerCase(), is_private: id.startsWith("G") };
    if (/^D0[A-Z0-9]+$/.test(id)) return { id, user: `U${id.slice(1)}` };
    return undefined;
  }

  // ---- messages ----------------------------------------------------------------------------

  store(message: NewMessage, method: string): FakeSlackMessage {
    const stored: FakeSlackMessage = { ...message, edits: 0, writes: [{ method, at: Date.now(), text: message.text }] };
    this.messages.set(key(stored.channel, stored.ts), stored);
    return stored;
  }

  /** Stores a new message from the bot, in `threadTs`'s thread when given. */
  storeFromBot(
    channel: string,
    threadTs: string | undefined,
    text: string,
    extra: Partial<Pick<NewMessage, "blocks" | "metadata" | "chunks" | "stream">>,
    method: string,
  ): FakeSlackMessage {
    return this.store(
      {
        channel,
        ts: nextTs(),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        user: FAKE_SLACK.botUserId,
        bot_id: FAKE_SLACK.botId,
        text,
        ...extra,
      },
      method,
    );
  }

  /** Stores a message as if a user (or another app) had posted it; `ts` defaults to a new one. */
  seed(message: SeedMessage): FakeSlackMessage {
    const { ts, thread_ts: threadTs, bot_id: botId, blocks, ...rest } = message;
    return this.store(
      {
        ...rest,
        ts: ts ?? nextTs(),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(botId ? { bot_id: botId } : {}),
        ...(blocks ? { blocks } : {}),
      },
      "seed",
    );
  }

  message(channel: string, ts: string): FakeSlackMessage | undefined {
    return this.messages.get(key(channel, ts));
  }

  /** The bot's own message at `ts`, or SlackError: "message_not_found", or `notOwned` for someone else's. */
  ownMessage(channel: string, ts: string | undefined, notOwned: string): FakeSlackMessage {
    const found = ts === undefined ? undefined : this.message(channel, ts);
    if (!found) throw new SlackError("message_not_found");
    if (found.user !== FAKE_SLACK.botUserId) throw new SlackError(notOwned);
    return found;
  }

  /** A user's edit of a stored message (the bot's edits go through chat.update). */
  userEdit(channel: string, ts: string, text: string): void {
    const found = this.message(channel, ts);
    if (!found) return;
    found.text = text;
    found.edited = { user: found.user, ts: nextTs() };
    found.writes.push({ method: "user.edit", at: Date.now(), text });
  }

  delete(channel: string, ts: string): void {
    this.messages.delete(key(channel, ts));
  }

  /** The stored messages of a channel (all of them) or of one thread (parent first), in ts order. */
  messagesIn(channel: string, threadTs?: string): FakeSlackMessage[] {
    return [...this.messages.values()]
      .filter((m) => m.channel === channel && (threadTs === undefined || m.ts === threadTs || m.thread_ts === threadTs))
      .sort((a, b) => compareTs(a.ts, b.ts));
  }

  private repliesTo(channel: string, ts: string): FakeSlackMessage[] {
    return this.messagesIn(channel, ts).filter((m) => m.ts !== ts);
  }

  /** A stored message as Slack's history and replies methods return it. */
  wire(m: FakeSlackMessage): SlackArgs {
    const out: SlackArgs = { type: "message", user: m.user, text: m.text, ts: m.ts, team: FAKE_SLACK.teamId };
    if (m.bot_id) {
      out.bot_id = m.bot_id;
      out.app_id = FAKE_SLACK.appId;
    }
    if (m.blocks) out.blocks = m.blocks;
    if (m.metadata) out.metadata = m.metadata;
    if (m.edited) out.edited = m.edited;
    const replies = m.thread_ts === undefined || m.thread_ts === m.ts ? this.repliesTo(m.channel, m.ts) : [];
    if (m.thread_ts) out.thread_ts = m.thread_ts;
    if (replies.length > 0) {
      out.thread_ts = m.ts;
      out.reply_count = replies.length;
      out.reply_users = [...new Set(replies.map((r) => r.user))];
      out.reply_users_count = (out.reply_users as string[]).length;
      out.latest_reply = replies.at(-1)?.ts;
    }
    const onIt = this.reactions.get(key(m.channel, m.ts));
    if (onIt && onIt.size > 0) {
      out.reactions = [...onIt].map(([name, who]) => ({ name, users: [...who], count: who.size }));
    }
    return out;
  }

  /** A message the bot wrote, as chat.* methods return it. */
  botMessage(m: FakeSlackMessage): SlackArgs {
    return {
      ...this.wire(m),
      bot_profile: { id: FAKE_SLACK.botId, app_id: FAKE_SLACK.appId, name: FAKE_SLACK.botName, deleted: false, team_id: FAKE_SLACK.teamId },
    };
  }

  // ---- reactions and statuses ----------------------------------------------------------------

  /** Adds the bot's reaction `name` to a message (stored or not); false when it is already there. */
  react(channel: string, ts: string, name: string): boolean {
    const onIt = this.reactions.get(key(channel, ts)) ?? new Map<string, Set<string>>();
    this.reactions.set(key(channel, ts), onIt);
    const who = onIt.get(name) ?? new Set<string>();
    if (who.has(FAKE_SLACK.botUserId)) return false;
    who.add(FAKE_SLACK.botUserId);
    onIt.set(name, who);
    return true;
  }

  /** Removes the bot's reaction `name`; false when it was not there. */
  unreact(channel: string, ts: string, name: string): boolean {
    const who = this.reactions.get(key(channel, ts))?.get(name);
    if (!who?.delete(FAKE_SLACK.botUserId)) return false;
    if (who.size === 0) this.reactions.get(key(channel, ts))?.delete(name);
    return true;
  }

  /** Reaction names currently on a message (whether or not the message itself is stored). */
  reactionsOn(channel: string, ts: string): string[] {
    return [...(this.reactions.get(key(channel, ts))?.keys() ?? [])];
  }

  /** The last assistant.threads.setStatus status of a thread ("" once cleared). */
  statusOf(channel: string, threadTs: string): string | undefined {
    return this.statuses.filter((s) => s.channel_id === channel && s.thread_ts === threadTs).at(-1)?.status;
  }

  /** Forgets messages, reactions, ephemerals and statuses; keeps users. */
  clear(): void {
    this.messages.clear();
    this.reactions.clear();
    this.ephemerals.length = 0;
    this.statuses.length = 0;
  }
}
