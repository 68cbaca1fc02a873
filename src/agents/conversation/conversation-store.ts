import { randomUUID } from "node:crypto";
import { and, desc, eq, gte, isNull, lte, ne, or, type SQL, sql } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import type { Platform } from "../../core/thread.js";
import type { Database, Db } from "../../db/client.js";
import { isUniqueViolation } from "../../db/errors.js";
import { rowsOf } from "../../db/rows.js";
import { type ChannelSettings, channels, conversations, messages, processedEvents } from "../../db/schema.js";
import type { HistoryMessage } from "../assistant/context-builder.js";
import { messageTokens } from "../assistant/tokens.js";

export type ChannelRow = typeof channels.$inferSelect;
export type ConversationRow = typeof conversations.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type NewMessage = Pick<
  typeof messages.$inferInsert,
  "conversationId" | "role" | "author" | "content" | "promptTokens" | "completionTokens" | "error" | "toolCalls"
> & {
  id?: string;
  /** The delivery this reply answers: its outcome is recorded in the same statement. */
  settles?: DeliveryKey;
  /** More data-modifying CTEs for the same statement (a turn's usage: UsageLedger.pending), named apart from `stored`, `touched` and `settled`. */
  alsoWrites?: SQL;
};

/** Something the bot posted in a thread of its own accord (a project's status, summaries, report), as it is stored. */
export function botPost(conversationId: string, content: string, id: string = randomUUID()): NewMessage & { id: string } {
  return { id, conversationId, role: "assistant", author: "quorum", content };
}

/**
 * Common table expressions (for a WITH, named `stored` and `touched`) that store a message the bot
 * said and touch its thread: `addMessage`'s statement, or part of another that records what the
 * message reports (a project task's summary, with the task's completion).
 */
export function messageWrites(message: NewMessage & { id: string }): SQL {
  return sql`stored as (
        insert into ${messages} (id, conversation_id, role, author, content, tokens, prompt_tokens, completion_tokens, error, tool_calls)
        values (${message.id}, ${message.conversationId}, ${message.role}, ${message.author}, ${message.content},
                ${messageTokens(message.content)}::int, ${message.promptTokens ?? null}::int, ${message.completionTokens ?? null}::int, ${message.error ?? null},
                ${message.toolCalls?.length ? JSON.stringify(message.toolCalls) : null}::jsonb)
        returning conversation_id),
      touched as (update ${conversations} set updated_at = now() where id = (select conversation_id from stored))`;
}

/** A platform event, as delivery records know it. */
export interface DeliveryKey {
  platform: Platform;
  eventId: string;
}

/** A user's message as it arrives, with the delivery that brought it. */
export interface Delivery {
  platform: Platform;
  eventId: string;
  channelId: string;
  externalThreadId: string;
  author: string;
  content: string;
}

/**
 * A delivery that was received before: its turn failed, or its process died, and this caller now
 * runs it again (`retry`); it was answered (`answered`, with the stored reply); or there is
 * nothing to run nor answer (`running`: its turn still runs, or it is on record without its message).
 */
export type Redelivery =
  | { state: "retry"; received: Received; thread: string }
  | { state: "answered"; thread: string; conversationId: string; userMessageId: string; reply: { id: string; text: string } }
  | { state: "running" };

export interface Received {
  conversationId: string;
  messageId: string;
  /** The message's place in its thread. */
  seq: number;
  /** This message opened the thread: nothing came before it. */
  opened: boolean;
}

export function channelKey(platform: Platform, externalId: string): string {
  return `${platform}:${externalId}`;
}

/**
 * How long a cached channel row is trusted. A settings change made through this store is seen at
 * once by this process; one made by another process (or straight in the database) is seen here
 * within this time.
 */
const CHANNEL_TTL_MS = 30_000;
/** Channel rows kept in memory; the least recently used go first. */
const CHANNELS_CACHED = 10_000;

export interface ConversationStoreOptions extends Partial<Pick<Database, "relaxed" | "flush" | "engine">> {
  /** How long a cached channel row is trusted; CHANNEL_TTL_MS by default. */
  channelTtlMs?: number;
}

/** Channels, threads and their messages. */
export class ConversationStore {
  private readonly relaxed: Db;
  private readonly flushDisk: (() => Promise<void>) | undefined;
  // Where received messages are written: relaxed only where they can be flushed before an answer.
  private readonly inbound: Db;
  // Whether other processes may share the database: PGlite belongs to one.
  private readonly shared: boolean;
  /**
   * Channel rows by id, read by every chat turn, command and project task of this process. Rows
   * change through their settings (updateChannelSettings, which refreshes its entry) and their name.
   */
  readonly #channels: LRUCache<string, ChannelRow>;
  /** Counts settings changes: a read that overlapped one does not put its (maybe older) row in the cache. */
  #changes = 0;

  /** `relaxed` takes writes that need not wait for the disk, `flush` makes them durable (see Database). */
  constructor(
    private readonly db: Db,
    options: ConversationStoreOptions = {},
  ) {
    this.relaxed = options.relaxed ?? db;
    this.flushDisk = options.flush;
    this.inbound = this.flushDisk ? this.relaxed : db;
    this.shared = options.engine === "postgres";
    this.#channels = new LRUCache({ max: CHANNELS_CACHED, ttl: options.channelTtlMs ?? CHANNEL_TTL_MS });
  }

  /**
   * The channel's row, created on first use; from the cache unless it is missing, older than its
   * TTL, or `name` differs from the stored one (which is then updated). Without a name a new
   * channel is named after its id and an existing one keeps its name.
   */
  async channel(platform: Platform, externalId: string, name?: string): Promise<ChannelRow> {
    const known = this.#channels.get(channelKey(platform, externalId));
    if (known && (name === undefined || known.name === name)) return known;
    return this.ensureChannel(platform, externalId, name);
  }

  /** The channel's row, read from the database (and cached); `channel()` reads it from the cache. */
  async ensureChannel(platform: Platform, externalId: string, name?: string): Promise<ChannelRow> {
    const id = channelKey(platform, externalId);
    const upsert = async () => {
      const [row] = await this.db
        .insert(channels)
        .values({ id, platform, externalId, name: name ?? externalId })
        .onConflictDoUpdate({ target: channels.id, set: { name: name === undefined ? sql`${channels.name}` : sql`excluded.name` } })
        .returning();
      return row!;
    };
    // The channel's first messages may arrive together: an insert that raced another meets it on
    // the other unique index (platform, external_id), which ON CONFLICT (id) does not cover. Once
    // the other committed, the row is there to update.
    return this.#cached(id, () => upsert().catch((error: unknown) => (isUniqueViolation(error) ? upsert() : Promise.reject(error))));
  }

  /** A channel's row by its id, from the cache unless it is missing or older than its TTL. */
  async getChannel(id: string): Promise<ChannelRow | undefined> {
    const known = this.#channels.get(id);
    if (known) return known;
    return this.#cached(id, async () => {
      const [row] = await this.db.select().from(channels).where(eq(channels.id, id));
      return row;
    });
  }

  /** Changes a channel's settings; the next turn, command or task of this process sees them. */
  async updateChannelSettings(id: string, settings: ChannelSettings): Promise<void> {
    const [row] = await this.db.update(channels).set({ settings }).where(eq(channels.id, id)).returning();
    this.#changes++;
    if (row) this.#channels.set(id, row);
    else this.#channels.delete(id);
  }

  /** Reads a channel's row and caches it, unless settings changed while it was read. */
  async #cached<T extends ChannelRow | undefined>(id: string, read: () => Promise<T>): Promise<T> {
    const changes = this.#changes;
    const row = await read();
    if (row && changes === this.#changes) this.#channels.set(id, row);
    return row;
  }

  /** The conversation of a platform thread, created on first use. */
  async openThread(channelId: string, externalThreadId: string, title: string): Promise<ConversationRow> {
    // A no-op update on conflict makes RETURNING yield the existing row: one round trip either way.
    const [row] = await this.db
      .insert(conversations)
      .values({ id: randomUUID(), channelId, externalThreadId, title: title.slice(0, 120) })
      .onConflictDoUpdate({
        target: [conversations.channelId, conversations.externalThreadId],
        set: { title: sql`${conversations.title}` },
      })
      .returning();
    return row!;
  }

  async findThread(channelId: string, externalThreadId: string): Promise<ConversationRow | undefined> {
    const [row] = await this.db
      .select()
      .from(conversations)
      .where(and(eq(conversations.channelId, channelId), eq(conversations.externalThreadId, externalThreadId)));
    return row;
  }

  /**
   * Records a delivery and stores its message in its thread (opened on first use), in one
   * statement: a redelivery cannot get through. Undefined for a delivery already received. Where
   * the database can flush on demand it commits without waiting for the disk, and `flush()`
   * before answering makes it durable while the answer is being prepared.
   */
  async receive(delivery: Delivery): Promise<Received | undefined> {
    const messageId = randomUUID();
    type Row = { conversation_id: string; seq: number | string; opened: boolean };
    const rows = await this.inbound.execute<Row>(sql`
      with fresh as (
        insert into ${processedEvents} (platform, event_id, message_id) values (${delivery.platform}, ${delivery.eventId}, ${messageId})
        on conflict do nothing returning 1),
      thread as (
        insert into ${conversations} (id, channel_id, external_thread_id, title)
        select ${randomUUID()}, ${delivery.channelId}, ${delivery.externalThreadId}, ${delivery.content.slice(0, 120)}
        where exists (select 1 from fresh)
        on conflict (channel_id, external_thread_id) do update set updated_at = now()
        -- xmax is 0 on a row this statement inserted and set (to our own lock) on one it updated:
        -- not documented, but how Postgres (and PGlite) mark an upsert's row versions.
        returning id, xmax = 0 as opened),
      stored as (
        insert into ${messages} (id, conversation_id, role, author, content, tokens)
        select ${messageId}, thread.id, 'user', ${delivery.author}, ${delivery.content}, ${messageTokens(delivery.content)}::int from thread
        returning conversation_id, seq)
      select stored.conversation_id, stored.seq, thread.opened from stored, thread`);
    const [row] = rowsOf<Row>(rows);
    return row ? { conversationId: row.conversation_id, messageId, seq: Number(row.seq), opened: row.opened === true } : undefined;
  }

  /**
   * Records a delivery that carries no message (a slash command, a button), durably, before it is
   * acted on; false when it was recorded before, so a replayed request is not run twice.
   */
  async firstDelivery(platform: Platform, deliveryId: string): Promise<boolean> {
    const rows = await this.db.execute(sql`
      insert into ${processedEvents} (platform, event_id) values (${platform}, ${deliveryId})
      on conflict do nothing returning 1 as fresh`);
    return rowsOf(rows).length === 1;
  }

  /**
   * What to do with a delivery `receive()` found already received. A turn that failed, or whose
   * claim has not been renewed for `staleMs` (its process died), is claimed again here, by one
   * caller only: the update locks the row, and a second caller sees it claimed.
   */
  async redelivery(key: DeliveryKey, staleMs: number): Promise<Redelivery> {
    type Claimed = { conversation_id: string; message_id: string; seq: number | string; thread: string };
    const claimed = rowsOf<Claimed>(
      await this.db.execute<Claimed>(sql`
        with claimed as (
          update ${processedEvents} set outcome = null, reply_id = null, claimed_at = now()
          where platform = ${key.platform} and event_id = ${key.eventId} and message_id is not null
            and (outcome = 'failed' or (outcome is null and claimed_at < now() - ${staleMs} * interval '1 millisecond'))
          returning message_id)
        select m.conversation_id, m.id as message_id, m.seq, c.external_thread_id as thread
        from claimed join ${messages} m on m.id = claimed.message_id join ${conversations} c on c.id = m.conversation_id`),
    );
    const [again] = claimed;
    if (again) {
      const received = { conversationId: again.conversation_id, messageId: again.message_id, seq: Number(again.seq), opened: false };
      return { state: "retry", received, thread: again.thread };
    }
    type Known = Record<"outcome" | "message_id" | "reply_id" | "reply" | "conversation_id" | "thread", string | null>;
    const [known] = rowsOf<Known>(
      await this.db.execute<Known>(sql`
        select e.outcome, e.message_id, e.reply_id, r.content as reply, m.conversation_id, c.external_thread_id as thread
        from ${processedEvents} e
          left join ${messages} m on m.id = e.message_id
          left join ${conversations} c on c.id = m.conversation_id
          left join ${messages} r on r.id = e.reply_id
        where e.platform = ${key.platform} and e.event_id = ${key.eventId}`),
    );
    if (!known?.message_id) return { state: "running" };
    if (known.outcome === null) return { state: "running" };
    if (known.outcome === "ok" && known.reply_id && known.reply !== null && known.conversation_id && known.thread !== null)
      return {
        state: "answered",
        thread: known.thread,
        conversationId: known.conversation_id,
        userMessageId: known.message_id,
        reply: { id: known.reply_id, text: known.reply },
      };
    // Failed, but claimed by another caller between the two statements.
    return { state: "running" };
  }

  /**
   * The user messages before message `seq` whose turns have not ended and whose claims are alive
   * (renewed within `staleMs`): in its thread, or with `channelId` in any thread of the channel.
   * Every process's, so none on a database that only this process opens.
   *
   * Receiving a message locks its thread's row until it commits, and its `seq` is drawn after
   * that lock: a message stored before another's commit has the smaller `seq`, and is seen here
   * by a caller that asks after its own message was received.
   */
  async unsettledBefore(at: { conversationId: string; seq: number; channelId?: string }, staleMs: number): Promise<string[]> {
    if (!this.shared) return [];
    const scope = at.channelId
      ? sql`m.conversation_id in (select id from ${conversations} where channel_id = ${at.channelId})`
      : sql`m.conversation_id = ${at.conversationId}`;
    const rows = await this.db.execute<{ id: string }>(sql`
      select m.id from ${processedEvents} e join ${messages} m on m.id = e.message_id
      where e.outcome is null and e.message_id is not null and ${scope} and m.seq < ${at.seq}
        and e.claimed_at >= now() - ${staleMs} * interval '1 millisecond'`);
    return rowsOf<{ id: string }>(rows).map((row) => row.id);
  }

  /** The turn for `key` is still running: renews its claim, so no redelivery takes it over. */
  async renewClaim(key: DeliveryKey): Promise<void> {
    await this.db
      .update(processedEvents)
      .set({ claimedAt: sql`now()` })
      .where(and(eq(processedEvents.platform, key.platform), eq(processedEvents.eventId, key.eventId), isNull(processedEvents.outcome)));
  }

  /**
   * A turn goes on after a person's decision: the delivery its pause settled is unsettled again,
   * with a fresh claim, so later messages of its thread, in any process, wait for it. (Still
   * unsettled when a process that died going on left it: the claim is taken afresh.)
   */
  async unsettle(key: DeliveryKey): Promise<void> {
    await this.db
      .update(processedEvents)
      .set({ outcome: null, claimedAt: sql`now()` })
      .where(
        and(
          eq(processedEvents.platform, key.platform),
          eq(processedEvents.eventId, key.eventId),
          or(eq(processedEvents.outcome, "ok"), isNull(processedEvents.outcome)),
        ),
      );
  }

  /** The turn that went on after a decision has ended: its delivery is settled as its pause left it. */
  async resettle(key: DeliveryKey): Promise<void> {
    await this.db
      .update(processedEvents)
      .set({ outcome: "ok" })
      .where(and(eq(processedEvents.platform, key.platform), eq(processedEvents.eventId, key.eventId), isNull(processedEvents.outcome)));
  }

  /** The turn for `key` ended without showing its answer: a redelivery runs it again. */
  async markFailed(key: DeliveryKey): Promise<void> {
    await this.db
      .update(processedEvents)
      .set({ outcome: "failed" })
      .where(and(eq(processedEvents.platform, key.platform), eq(processedEvents.eventId, key.eventId)));
  }

  /**
   * Regenerate: the delivery of the thread's last message from a person is marked failed, so the
   * same delivery again runs its turn again (the earlier answer stays stored). Undefined when the
   * thread has no such message or its turn is still running.
   */
  async reopenLastMessage(conversationId: string): Promise<{ eventId: string; text: string } | undefined> {
    type Reopened = { event_id: string; content: string };
    const [row] = rowsOf<Reopened>(
      await this.db.execute<Reopened>(sql`
        update ${processedEvents} e set outcome = 'failed'
        from (select id, content from ${messages}
              where conversation_id = ${conversationId} and role = 'user' order by seq desc limit 1) m
        where e.message_id = m.id and e.outcome is not null
        returning e.event_id, m.content`),
    );
    return row && { eventId: row.event_id, text: row.content };
  }

  /** Resolves once every message received so far is on disk. */
  async flush(): Promise<void> {
    await this.flushDisk?.();
  }

  /** Stores something the bot said, touches its thread and settles the delivery it answers (and writes `alsoWrites`), in one statement. */
  async addMessage(message: NewMessage): Promise<void> {
    const id = message.id ?? randomUUID();
    const settles = message.settles;
    const outcome = message.error ? "failed" : "ok";
    const settled = settles
      ? sql`, settled as (
        update ${processedEvents} set outcome = ${outcome}, reply_id = ${id}
        where platform = ${settles.platform} and event_id = ${settles.eventId})`
      : sql``;
    // `alsoWrites` (a turn's usage) before the message's CTEs, as in ProjectStore.complete: Postgres
    // runs the CTEs that the query does not read last-listed first, so both statements lock the
    // thread's row before the channel's day, and cannot deadlock each other.
    await this.relaxed.execute(
      sql`with ${message.alsoWrites ? sql`${message.alsoWrites}, ` : sql``}${messageWrites({ ...message, id })}${settled} select 1`,
    );
  }

  async message(id: string): Promise<MessageRow | undefined> {
    const [row] = await this.db.select().from(messages).where(eq(messages.id, id));
    return row;
  }

  async updateMessage(id: string, content: string): Promise<void> {
    await this.relaxed
      .update(messages)
      .set({ content, tokens: messageTokens(content) })
      .where(eq(messages.id, id));
  }

  /**
   * The thread as the turn answering the user message `userSeq` sees it, for the context builder:
   * that message first, then the rest newest first, up to `limit` messages. User messages stored
   * after it wait for their own turns and are left out; replies stored after it stay, because a
   * thread's turns run one at a time, so they answer earlier messages.
   */
  async history(conversationId: string, userSeq: number, limit: number): Promise<HistoryMessage[]> {
    return this.db
      .select({ role: messages.role, author: messages.author, content: messages.content, tokens: messages.tokens })
      .from(messages)
      .where(
        and(
          eq(messages.conversationId, conversationId),
          // Failed turns stay visible in the thread but are not fed back to the model.
          isNull(messages.error),
          or(lte(messages.seq, userSeq), ne(messages.role, "user")),
        ),
      )
      .orderBy(sql`${messages.seq} = ${userSeq} desc`, desc(messages.seq))
      .limit(limit) as Promise<HistoryMessage[]>;
  }

  /**
   * A direct conversation (a DM) as the turn answering user message `userSeq` of thread
   * `conversationId` sees it: that message first, then the channel's messages of the last
   * `windowMs`, from all its threads, newest first, up to `limit`. As in `history`, user messages
   * stored after it wait for their own turns and failed turns are left out.
   */
  async recentInChannel(
    channelId: string,
    conversationId: string,
    userSeq: number,
    windowMs: number,
    limit: number,
  ): Promise<HistoryMessage[]> {
    const since = sql`now() - ${windowMs} * interval '1 millisecond'`;
    return this.db
      .select({ role: messages.role, author: messages.author, content: messages.content, tokens: messages.tokens })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .where(
        and(
          eq(conversations.channelId, channelId),
          // A thread touched in the window: what (channel_id, updated_at) finds without reading the channel's past.
          or(eq(conversations.id, conversationId), gte(conversations.updatedAt, since)),
          isNull(messages.error),
          or(eq(messages.seq, userSeq), and(gte(messages.createdAt, since), or(lte(messages.seq, userSeq), ne(messages.role, "user")))),
        ),
      )
      .orderBy(sql`${messages.seq} = ${userSeq} desc`, desc(messages.seq))
      .limit(limit) as Promise<HistoryMessage[]>;
  }

  async messages(conversationId: string): Promise<MessageRow[]> {
    return this.db.select().from(messages).where(eq(messages.conversationId, conversationId)).orderBy(messages.seq);
  }

  async countTurns(channelId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .where(and(eq(conversations.channelId, channelId), eq(messages.role, "assistant"), isNull(messages.error)));
    return row?.n ?? 0;
  }

  async listChannels(platform: Platform): Promise<{ name: string; threads: number; updatedAt: Date }[]> {
    return this.db
      .select({
        name: channels.externalId,
        threads: sql<number>`count(${conversations.id})::int`,
        updatedAt: sql<Date>`coalesce(max(${conversations.updatedAt}), ${channels.createdAt})`.mapWith((v) => new Date(v)),
      })
      .from(channels)
      .leftJoin(conversations, eq(conversations.channelId, channels.id))
      .where(eq(channels.platform, platform))
      .groupBy(channels.id)
      .orderBy(channels.externalId);
  }

  async listThreads(channelId: string, limit = 50): Promise<{ thread: string; title: string; updatedAt: Date }[]> {
    return this.db
      .select({ thread: conversations.externalThreadId, title: conversations.title, updatedAt: conversations.updatedAt })
      .from(conversations)
      .where(eq(conversations.channelId, channelId))
      .orderBy(desc(conversations.updatedAt))
      .limit(limit);
  }

  /** A thread by its platform id alone, for platforms whose thread ids are globally unique (the web console). */
  async findThreadOnPlatform(platform: Platform, externalThreadId: string): Promise<ConversationRow | undefined> {
    const [row] = await this.db
      .select({ conversation: conversations })
      .from(conversations)
      .innerJoin(channels, eq(channels.id, conversations.channelId))
      .where(and(eq(channels.platform, platform), eq(conversations.externalThreadId, externalThreadId)));
    return row?.conversation;
  }
}
