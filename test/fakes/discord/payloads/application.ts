import type { GatewayReadyDispatchData } from "discord.js";
import { FAKE_DISCORD } from "../ids.js";
import { botUser } from "./users.js";

/** The application: its privileged intents and flags, and the READY a session starts with. */

/** Privileged gateway intents: GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT. */
export const PRIVILEGED_INTENTS = { GuildMembers: 1 << 1, GuildPresences: 1 << 8, MessageContent: 1 << 15 } as const;

/**
 * The application flags Discord reports for an unverified bot (under 100 servers) whose
 * privileged intents are switched on in the developer portal: GATEWAY_PRESENCE_LIMITED (1<<13),
 * GATEWAY_GUILD_MEMBERS_LIMITED (1<<15), GATEWAY_MESSAGE_CONTENT_LIMITED (1<<19), plus
 * APPLICATION_COMMAND_BADGE (1<<23). A bot can read these to say plainly that an intent is off.
 */
export function applicationFlags(allowedPrivilegedIntents: number): number {
  let flags = 1 << 23;
  if (allowedPrivilegedIntents & PRIVILEGED_INTENTS.GuildPresences) flags |= 1 << 13;
  if (allowedPrivilegedIntents & PRIVILEGED_INTENTS.GuildMembers) flags |= 1 << 15;
  if (allowedPrivilegedIntents & PRIVILEGED_INTENTS.MessageContent) flags |= 1 << 19;
  return flags;
}

/** The d of READY: the bot user, the guilds as unavailable stubs, the session and resume url. */
export function readyPayload(input: {
  sessionId: string;
  resumeGatewayUrl: string;
  guildIds: string[];
  shard?: [number, number];
  /** Application flags; see `applicationFlags`. */
  applicationFlags: number;
}): GatewayReadyDispatchData {
  return {
    v: 10,
    user: botUser(),
    guilds: input.guildIds.map((id) => ({ id, unavailable: true })),
    session_id: input.sessionId,
    resume_gateway_url: input.resumeGatewayUrl,
    ...(input.shard ? { shard: input.shard } : {}),
    application: { id: FAKE_DISCORD.applicationId, flags: input.applicationFlags, flags_new: String(input.applicationFlags) },
  };
}
