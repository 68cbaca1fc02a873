/**
 * Payload builders in Discord's documented shapes (API v10). Every builder is typed with the
 * discord-api-types definitions that discord.js re-exports, so `tsc` checks that each carries the
 * fields Discord documents as always present.
 */

export * from "./payloads/application.js";
export * from "./payloads/channels.js";
export * from "./payloads/guild.js";
export * from "./payloads/interactions.js";
export * from "./payloads/messages.js";
export * from "./payloads/users.js";
