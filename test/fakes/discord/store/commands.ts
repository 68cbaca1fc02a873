import type { APIApplicationCommand } from "discord.js";
import { FAKE_DISCORD, snowflake } from "../ids.js";

/** Registered application commands, as Discord keeps them across overwrites. */

export interface StoredCommand extends APIApplicationCommand {}

/** The command `body` registers in `scope`: one with the same name and type in `previous` keeps its id (and its version when unchanged). */
export function commandFrom(scope: string, body: Record<string, unknown>, previous: StoredCommand[]): StoredCommand {
  const type = typeof body.type === "number" ? body.type : 1;
  const name = String(body.name);
  const old = previous.find((c) => c.name === name && c.type === type);
  const options = Array.isArray(body.options) ? (body.options as StoredCommand["options"]) : undefined;
  const description = typeof body.description === "string" ? body.description : "";
  const unchanged = old && JSON.stringify([old.description, old.options ?? []]) === JSON.stringify([description, options ?? []]);
  const command = {
    id: old?.id ?? snowflake(),
    application_id: FAKE_DISCORD.applicationId,
    version: unchanged && old ? old.version : snowflake(),
    default_member_permissions: typeof body.default_member_permissions === "string" ? body.default_member_permissions : null,
    type,
    name,
    name_localizations: (body.name_localizations as Record<string, string> | null | undefined) ?? null,
    description,
    description_localizations: (body.description_localizations as Record<string, string> | null | undefined) ?? null,
    ...(scope === "global" ? { dm_permission: body.dm_permission !== false } : { guild_id: scope }),
    ...(options ? { options } : {}),
    nsfw: body.nsfw === true,
    integration_types: (Array.isArray(body.integration_types) ? body.integration_types : [0]) as number[],
    contexts: (Array.isArray(body.contexts) ? body.contexts : null) as number[] | null,
  };
  return command as StoredCommand;
}
