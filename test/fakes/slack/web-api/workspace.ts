import { FAKE_SLACK } from "../ids.js";
import { required, type SlackMethods } from "./args.js";
import type { SlackState } from "./state.js";

/** Who is who: api.test, auth.test (the bot's identity) and users.info. */
export function workspaceMethods(state: SlackState): SlackMethods {
  return {
    "api.test": (args) => ({ args }),

    "auth.test": () => ({
      url: `https://${FAKE_SLACK.teamDomain}.slack.com/`,
      team: FAKE_SLACK.teamName,
      user: FAKE_SLACK.botName,
      team_id: FAKE_SLACK.teamId,
      user_id: FAKE_SLACK.botUserId,
      bot_id: FAKE_SLACK.botId,
      is_enterprise_install: false,
    }),

    "users.info": (args) => {
      const id = required(args, "user", "user_not_found");
      const user = state.users.get(id) ?? { id, name: id.toLowerCase(), real_name: `User ${id}` };
      const realName = user.real_name ?? user.name;
      return {
        user: {
          id: user.id,
          team_id: FAKE_SLACK.teamId,
          name: user.name,
          deleted: false,
          real_name: realName,
          tz: "Europe/London",
          // Slack's roles: an owner is also an admin; the primary owner is one of the owners.
          is_admin: (user.is_admin ?? false) || (user.is_owner ?? false),
          is_owner: user.is_owner ?? false,
          is_primary_owner: false,
          is_restricted: false,
          is_ultra_restricted: false,
          is_bot: user.is_bot ?? false,
          is_app_user: false,
          profile: {
            real_name: realName,
            real_name_normalized: realName,
            display_name: user.display_name ?? user.name,
            display_name_normalized: user.display_name ?? user.name,
            team: FAKE_SLACK.teamId,
            ...(user.is_bot ? { bot_id: FAKE_SLACK.botId } : {}),
          },
        },
      };
    },
  };
}
