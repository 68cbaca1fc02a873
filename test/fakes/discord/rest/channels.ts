import type { DiscordWorld } from "../store.js";
import { type BotMessages, content } from "./bot-messages.js";
import { DiscordError, ok, param, type RestRouter } from "./router.js";

/** Routes on channels: reading one, typing, the bot's messages in it, and threads started from a message. */
export function channelRoutes(
  router: RestRouter,
  world: DiscordWorld,
  messages: BotMessages,
  dispatch: (event: string, data: unknown) => void,
): void {
  router.route("GET /channels/:channel", "bot", (call) => ok(world.channelPayload(messages.channelOr404(param(call, "channel")))));
  router.route("GET /channels/:channel/messages/:message", "bot", (call) => {
    messages.channelOr404(param(call, "channel"));
    const found = world.messages.get(param(call, "message"));
    if (!found || found.deleted || found.ephemeral || found.channel_id !== param(call, "channel"))
      throw new DiscordError(404, 10008, "Unknown Message");
    return ok(world.messagePayload(found));
  });
  router.route("POST /channels/:channel/typing", "bot", (call) => {
    messages.channelOr404(param(call, "channel"));
    return ok();
  });
  router.route("POST /channels/:channel/messages", "bot", (call) => {
    const stored = messages.post(param(call, "channel"), content(call.body, true));
    messages.echo(stored);
    return ok(world.messagePayload(stored));
  });
  router.route("PATCH /channels/:channel/messages/:message", "bot", (call) => {
    const message = messages.own(param(call, "channel"), param(call, "message"));
    messages.edit(message, content(call.body, false));
    return ok(world.messagePayload(message));
  });
  router.route("POST /channels/:channel/messages/:message/threads", "bot", (call) => {
    const parent = messages.channelOr404(param(call, "channel"));
    const starter = world.messages.get(param(call, "message"));
    if (!starter || starter.channel_id !== parent.id) throw new DiscordError(404, 10008, "Unknown Message");
    if (parent.kind !== "text") throw new DiscordError(400, 50024, "Cannot execute action on this channel type");
    if (world.channel(starter.id)) throw new DiscordError(400, 160004, "A thread has already been created for this message");
    const body = (call.body ?? {}) as { name?: unknown; auto_archive_duration?: unknown };
    const name = typeof body.name === "string" ? body.name : "";
    if (name.length < 1 || name.length > 100)
      throw new DiscordError(400, 50035, "Invalid Form Body: name: Must be between 1 and 100 in length.");
    const duration = [60, 1440, 4320, 10080].includes(Number(body.auto_archive_duration))
      ? (Number(body.auto_archive_duration) as 60 | 1440 | 4320 | 10080)
      : 1440;
    const thread = world.addThread({
      id: starter.id,
      name,
      parent_id: parent.id,
      owner_id: messages.bot.id,
      auto_archive_duration: duration,
      starter_message_id: starter.id,
    });
    starter.thread_id = thread.id;
    starter.flags |= 32; // HAS_THREAD
    const payload = world.threadPayload(thread);
    dispatch("THREAD_CREATE", { ...payload, newly_created: true });
    return ok(payload, 201);
  });
}
