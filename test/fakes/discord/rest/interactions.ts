import type { DiscordWorld, FakeDiscordMessage, FakeInteraction } from "../store.js";
import { type BotMessages, content } from "./bot-messages.js";
import { DiscordError, ok, param, type RecordedRequest, type RestRouter } from "./router.js";

/**
 * Routes authorised by an interaction's token: the initial response (callback), the original
 * response message (`@original`; for a component, the message it is on) and follow-ups.
 */
export function interactionRoutes(router: RestRouter, world: DiscordWorld, messages: BotMessages): void {
  const interactionOr404 = (id: string, token: string): FakeInteraction => {
    const interaction = world.interactions.get(id);
    if (!interaction || interaction.token !== token) throw new DiscordError(404, 10062, "Unknown interaction");
    return interaction;
  };
  const webhookInteraction = (call: RecordedRequest): FakeInteraction => {
    const app = param(call, "app");
    const token = param(call, "token");
    const interaction = [...world.interactions.values()].find((i) => i.token === token && i.application_id === app);
    if (!interaction) throw new DiscordError(404, 10015, "Unknown Webhook");
    return interaction;
  };

  router.route("POST /interactions/:interaction/:token/callback", "token", (call) => {
    const interaction = interactionOr404(param(call, "interaction"), param(call, "token"));
    if (interaction.response) throw new DiscordError(400, 40060, "Interaction has already been acknowledged.");
    // The initial response must come within 3 seconds of the interaction.
    if (Date.now() - interaction.dispatchedAt > 3_000) throw new DiscordError(404, 10062, "Unknown interaction");
    const { type, data } = (call.body ?? {}) as { type?: unknown; data?: Record<string, unknown> };
    // 4 a message, 5 "thinking…" then a message; for components only, 6 nothing now and 7 an edit of the message they are on.
    const updates = type === 6 || type === 7;
    if ((type !== 4 && type !== 5 && !updates) || (updates && interaction.type !== 3))
      throw new DiscordError(400, 50035, "Invalid Form Body: type");
    let message: FakeDiscordMessage;
    if (updates) {
      message = messages.own(interaction.channel_id, interaction.message_id!);
      if (type === 7) messages.edit(message, content(data, false));
    } else message = messages.postForInteraction(interaction, content(data, type === 4), type === 5);
    interaction.response = { type, at: Date.now(), ...(data ? { data } : {}) };
    interaction.originalMessageId = message.id;
    if (call.query.with_response !== "true") return ok();
    return ok({
      interaction: { id: interaction.id, type: interaction.type },
      resource: { type, ...(type === 6 ? {} : { message: world.messagePayload(message) }) },
    });
  });
  const original = (call: RecordedRequest) => {
    const interaction = webhookInteraction(call);
    const message = interaction.originalMessageId ? world.messages.get(interaction.originalMessageId) : undefined;
    if (!message) throw new DiscordError(404, 10008, "Unknown Message");
    return message;
  };
  router.route("GET /webhooks/:app/:token/messages/@original", "token", (call) => ok(world.messagePayload(original(call))));
  router.route("PATCH /webhooks/:app/:token/messages/@original", "token", (call) => {
    const message = original(call);
    message.flags &= ~128; // no longer "thinking…"
    messages.edit(message, content(call.body, false));
    return ok(world.messagePayload(message));
  });
  router.route("POST /webhooks/:app/:token", "token", (call) => {
    const interaction = webhookInteraction(call);
    if (!interaction.response) throw new DiscordError(404, 10015, "Unknown Webhook");
    const message = messages.postForInteraction(interaction, content(call.body, true), false);
    interaction.followUps.push(message.id);
    messages.echo(message);
    return call.query.wait === "true" ? ok(world.messagePayload(message)) : ok();
  });
  router.route("PATCH /webhooks/:app/:token/messages/:message", "token", (call) => {
    const interaction = webhookInteraction(call);
    const message = world.messages.get(param(call, "message"));
    if (!message || (message.id !== interaction.originalMessageId && !interaction.followUps.includes(message.id)))
      throw new DiscordError(404, 10008, "Unknown Message");
    messages.edit(message, content(call.body, false));
    return ok(world.messagePayload(message));
  });
}
