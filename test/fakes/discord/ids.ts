/**
 * The fake Discord's identity (application, bot user, guild, channels, people) and Discord's
 * snowflake ids, shared by the REST fake, the gateway and the payload builders so every id agrees.
 *
 * Ids are real snowflakes (17 to 19 digits): @discordjs/rest only recognises a route's major
 * parameter (`/channels/:id`, `/guilds/:id`, `/webhooks/:id/:token`) when the id has 17 to 19
 * digits, so toy ids such as "1" would put every channel into one rate-limit bucket.
 */

/** Discord's epoch, the first second of 2015, in ms. */
export const DISCORD_EPOCH = 1_420_070_400_000;

export const FAKE_DISCORD = {
  applicationId: "1102565081088000001",
  applicationName: "Quorum",
  botUserId: "1102565081088000002",
  botUsername: "quorum",
  /** `Bot <token>` is what @discordjs/rest sends; the first part is the bot id in base64, like a real token. */
  token: `${Buffer.from("1102565081088000002").toString("base64")}.GfAkE0.fake-discord-bot-token-0123456789abcdef`,
  guildId: "1102927468953600001",
  guildName: "Quorum Test",
  /** A text channel (type 0) in the guild. */
  channelId: "1102927468953600002",
  channelName: "general",
  /** A second text channel, for tests that need two. */
  otherChannelId: "1102927468953600003",
  otherChannelName: "random",
  users: {
    alice: { id: "540682695475200001", username: "alice", global_name: "Alice" },
    bob: { id: "672954266419200001", username: "bob", global_name: "Bob" },
    /** Another application's bot user (`bot: true`), whose messages the bot must not answer. */
    otherBot: { id: "805588225228800001", username: "otherbot", global_name: null, bot: true },
    /** Has the Moderators role (Manage Server). */
    carol: { id: "540682695475200002", username: "carol", global_name: "Carol" },
    /** Has the Admins role (Administrator). */
    dave: { id: "540682695475200003", username: "dave", global_name: "Dave" },
    /** Owns the guild, so has every permission without a role. */
    olive: { id: "540682695475200004", username: "olive", global_name: "Olive" },
  },
  /** The guild's roles besides @everyone and the bot's. */
  roles: {
    moderators: "1102927468953600010",
    admins: "1102927468953600011",
  },
} as const;

let lastMs = 0;
let increment = 0;

/**
 * A new snowflake for "now" (or `at`, ms since 1970), strictly increasing across everything in
 * this process while time does not go backwards, so later messages always sort after earlier ones.
 */
export function snowflake(at: number = Date.now()): string {
  if (at > lastMs) {
    lastMs = at;
    increment = 0;
  } else {
    increment += 1;
    if (increment > 0xfff) {
      // 4096 ids in one millisecond: borrow the next millisecond.
      lastMs += 1;
      increment = 0;
    }
  }
  const ms = BigInt(lastMs - DISCORD_EPOCH);
  // worker 1, process 0, like a single-node Discord.
  return ((ms << 22n) | (1n << 17n) | BigInt(increment)).toString();
}

/** The creation time (ms since 1970) encoded in a snowflake. */
export function snowflakeTime(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH;
}

/** Orders two snowflakes numerically. */
export function compareSnowflakes(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `<@id>`, the way Discord writes a user mention in message content. */
export function mention(userId: string): string {
  return `<@${userId}>`;
}

/** A random interaction token with the look of Discord's (long, URL-safe). */
export function interactionToken(interactionId: string): string {
  const random = Buffer.from(Array.from({ length: 48 }, () => Math.floor(Math.random() * 256))).toString("base64url");
  return `aW50ZXJhY3Rpb246${Buffer.from(interactionId).toString("base64url")}:${random}`;
}

/** A random 32-hex-digit gateway session id, like Discord's. */
export function sessionId(): string {
  return Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join("");
}
