import type { APIApplication, APIGatewayBotInfo, APIUser, ApplicationFlags } from "discord-api-types/v10";
import { FAKE_DISCORD } from "../ids.js";
import { applicationFlags } from "../payloads.js";
import type { DiscordWorld } from "../store.js";
import { DiscordError, ok, param, type RecordedRequest, type RestRouter } from "./router.js";

/** Routes about the bot itself: the gateway URL, its user and application, its slash commands. */
export function applicationRoutes(
  router: RestRouter,
  world: DiscordWorld,
  bot: APIUser,
  options: { allowedPrivilegedIntents: number; gatewayUrl: () => string },
): void {
  const application = (): APIApplication => ({
    id: FAKE_DISCORD.applicationId,
    name: FAKE_DISCORD.applicationName,
    icon: null,
    description: "",
    bot_public: false,
    bot_require_code_grant: false,
    bot,
    summary: "",
    verify_key: "0".repeat(64),
    team: null,
    flags: applicationFlags(options.allowedPrivilegedIntents) as ApplicationFlags,
    flags_new: String(applicationFlags(options.allowedPrivilegedIntents)),
  });

  router.route("GET /gateway/bot", "bot", () =>
    ok({
      url: options.gatewayUrl(),
      shards: 1,
      session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
    } satisfies APIGatewayBotInfo),
  );
  router.route("GET /users/@me", "bot", () => ok(bot));
  router.route("GET /applications/@me", "bot", () => ok(application()));
  router.route("GET /oauth2/applications/@me", "bot", () => ok(application()));

  const commandScope = (call: RecordedRequest) => {
    if (param(call, "app") !== FAKE_DISCORD.applicationId) throw new DiscordError(403, 50001, "Missing Access");
    const guild = call.params.guild;
    if (guild !== undefined && !world.guild(guild)) throw new DiscordError(404, 10004, "Unknown Guild");
    return guild ?? "global";
  };
  const overwrite = (call: RecordedRequest) => {
    if (!Array.isArray(call.body)) throw new DiscordError(400, 50035, "Invalid Form Body");
    return ok(world.overwriteCommands(commandScope(call), call.body as Record<string, unknown>[]));
  };
  router.route("PUT /applications/:app/commands", "bot", overwrite);
  router.route("PUT /applications/:app/guilds/:guild/commands", "bot", overwrite);
  router.route("GET /applications/:app/commands", "bot", (call) => ok(world.commandsIn(commandScope(call))));
  router.route("GET /applications/:app/guilds/:guild/commands", "bot", (call) => ok(world.commandsIn(commandScope(call))));
}
