import { GatewayIntentBits, GatewayOpcodes } from "discord-api-types/v10";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { botRoleId, FAKE_DISCORD, type FakeDiscord, people, startFakeDiscord } from "../fakes/discord/index.js";

/** The fake Discord on its own, spoken to with plain fetch and ws as Discord's docs describe. */

interface Frame {
  op: number;
  d: unknown;
  s: number | null;
  t: string | null;
}

/** A raw gateway client that queues frames and can wait for the next one or for the close. */
async function connect(url: string) {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  let wake: (() => void) | undefined;
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  ws.on("message", (data) => {
    frames.push(JSON.parse(data.toString()) as Frame);
    wake?.();
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  return {
    closed,
    send: (payload: object) => ws.send(JSON.stringify(payload)),
    async next(): Promise<Frame> {
      while (frames.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return frames.shift()!;
    },
    close: () => ws.close(1000),
  };
}

const INTENTS = GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages | GatewayIntentBits.MessageContent;
const query = "?v=10&encoding=json";

describe("fake Discord", () => {
  let discord: FakeDiscord;
  beforeEach(async () => {
    discord = await startFakeDiscord({ heartbeatIntervalMs: 45_000 });
  });
  afterEach(async () => {
    await discord.stop();
  });

  it("serves GET /gateway/bot to the bot token only", async () => {
    const url = `${discord.rest.apiUrl}/v10/gateway/bot`;
    expect((await fetch(url)).status).toBe(401);
    const response = await fetch(url, { headers: { authorization: `Bot ${FAKE_DISCORD.token}` } });
    expect(await response.json()).toMatchObject({ url: discord.gateway.url, shards: 1, session_start_limit: { max_concurrency: 1 } });
  });

  it("answers a scripted 429 with retry_after and Discord's rate-limit headers, once", async () => {
    discord.rest.rateLimit("POST /channels/:channel/typing", { retryAfter: 1.5 });
    const url = `${discord.rest.apiUrl}/v10/channels/${FAKE_DISCORD.channelId}/typing`;
    const init = { method: "POST", headers: { authorization: `Bot ${FAKE_DISCORD.token}` } };
    const limited = await fetch(url, init);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ message: "You are being rate limited.", retry_after: 1.5, global: false });
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(limited.headers.get("x-ratelimit-reset-after")).toBe("1.500");
    expect(limited.headers.get("x-ratelimit-bucket")).toMatch(/^[0-9a-f]+$/);
    expect((await fetch(url, init)).status).toBe(204);
    expect(discord.rest.callsTo("POST /channels/:channel/typing").map((call) => call.status)).toEqual([429, 204]);
  });

  it("speaks HELLO, heartbeat ACK, IDENTIFY → READY + GUILD_CREATE, and RESUME with replay", async () => {
    const first = await connect(discord.gateway.url + query);
    const hello = await first.next();
    expect(hello).toMatchObject({ op: GatewayOpcodes.Hello, d: { heartbeat_interval: 45_000 } });
    first.send({ op: GatewayOpcodes.Heartbeat, d: null });
    expect((await first.next()).op).toBe(GatewayOpcodes.HeartbeatAck);

    first.send({
      op: GatewayOpcodes.Identify,
      d: { token: FAKE_DISCORD.token, intents: INTENTS, properties: { os: "linux", browser: "t", device: "t" } },
    });
    const ready = await first.next();
    expect(ready).toMatchObject({
      op: 0,
      t: "READY",
      s: 1,
      d: { v: 10, user: { id: FAKE_DISCORD.botUserId }, resume_gateway_url: discord.gateway.resumeUrl },
    });
    const session = (ready.d as { session_id: string }).session_id;
    expect(await first.next()).toMatchObject({ t: "GUILD_CREATE", s: 2, d: { id: FAKE_DISCORD.guildId } });

    discord.sendMessage({ channel_id: FAKE_DISCORD.channelId, guild_id: FAKE_DISCORD.guildId, content: "seen" });
    expect(await first.next()).toMatchObject({ t: "MESSAGE_CREATE", s: 3, d: { content: "seen" } });

    discord.gateway.closeConnections(4000, "Unknown error");
    expect(await first.closed).toBe(4000);
    discord.sendMessage({ channel_id: FAKE_DISCORD.channelId, guild_id: FAKE_DISCORD.guildId, content: "missed" });

    const second = await connect(discord.gateway.resumeUrl + query);
    expect((await second.next()).op).toBe(GatewayOpcodes.Hello);
    second.send({ op: GatewayOpcodes.Resume, d: { token: FAKE_DISCORD.token, session_id: session, seq: 3 } });
    expect(await second.next()).toMatchObject({ t: "MESSAGE_CREATE", s: 4, d: { content: "missed" } });
    expect(await second.next()).toMatchObject({ t: "RESUMED", s: 5 });
    second.close();
    expect(await second.closed).toBe(1000);

    // Closed with 1000 by the client, the session is over: RESUME gets INVALID_SESSION(false).
    const third = await connect(discord.gateway.resumeUrl + query);
    await third.next();
    third.send({ op: GatewayOpcodes.Resume, d: { token: FAKE_DISCORD.token, session_id: session, seq: 5 } });
    expect(await third.next()).toMatchObject({ op: GatewayOpcodes.InvalidSession, d: false });
    third.close();
  });

  it("closes with 4014 when a privileged intent is not enabled, and 4004 for a bad token", async () => {
    await discord.stop();
    discord = await startFakeDiscord({ allowedPrivilegedIntents: 0 });
    const disallowed = await connect(discord.gateway.url + query);
    await disallowed.next();
    disallowed.send({ op: GatewayOpcodes.Identify, d: { token: FAKE_DISCORD.token, intents: INTENTS, properties: {} } });
    expect(await disallowed.closed).toBe(4014);

    const forged = await connect(discord.gateway.url + query);
    await forged.next();
    forged.send({ op: GatewayOpcodes.Identify, d: { token: "Bot nope", intents: GatewayIntentBits.Guilds, properties: {} } });
    expect(await forged.closed).toBe(4004);
  });

  it("hides message content from a session without the MessageContent intent, except mentions", async () => {
    const client = await connect(discord.gateway.url + query);
    await client.next();
    client.send({
      op: GatewayOpcodes.Identify,
      d: { token: FAKE_DISCORD.token, intents: GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages, properties: {} },
    });
    await client.next(); // READY
    await client.next(); // GUILD_CREATE
    discord.sendMessage({ channel_id: FAKE_DISCORD.channelId, guild_id: FAKE_DISCORD.guildId, content: "secret" });
    expect(await client.next()).toMatchObject({ t: "MESSAGE_CREATE", d: { content: "" } });
    discord.sendMessage({ channel_id: FAKE_DISCORD.channelId, guild_id: FAKE_DISCORD.guildId, content: "for the bot", mentionBot: true });
    expect(await client.next()).toMatchObject({ t: "MESSAGE_CREATE", d: { content: `<@${FAKE_DISCORD.botUserId}> for the bot` } });
    client.close();
  });

  it("sends a reply with the message it points to, and serves a message by id", async () => {
    const client = await connect(discord.gateway.url + query);
    await client.next();
    client.send({ op: GatewayOpcodes.Identify, d: { token: FAKE_DISCORD.token, intents: INTENTS, properties: {} } });
    await client.next(); // READY
    await client.next(); // GUILD_CREATE
    const where = { channel_id: FAKE_DISCORD.channelId, guild_id: FAKE_DISCORD.guildId };
    const original = discord.sendMessage({ ...where, content: "the deploy is on friday", author: people.bob });
    await client.next();
    discord.sendMessage({ ...where, content: "is it?", message_reference: { message_id: original.id, ...where } });
    expect(await client.next()).toMatchObject({
      t: "MESSAGE_CREATE",
      d: {
        type: 19,
        message_reference: { message_id: original.id },
        referenced_message: { id: original.id, content: "the deploy is on friday" },
      },
    });
    const url = `${discord.rest.apiUrl}/v10/channels/${FAKE_DISCORD.channelId}/messages`;
    const headers = { authorization: `Bot ${FAKE_DISCORD.token}` };
    expect(await (await fetch(`${url}/${original.id}`, { headers })).json()).toMatchObject({
      id: original.id,
      author: { id: people.bob.id },
    });
    expect((await fetch(`${url}/1102927468953699999`, { headers })).status).toBe(404);
    // The bot's managed role, as "@Quorum" picked from the role list writes it.
    discord.sendMessage({ ...where, content: "summarise", mentionBotRole: true });
    const roleId = botRoleId(FAKE_DISCORD.guildId);
    expect(await client.next()).toMatchObject({ d: { content: `<@&${roleId}> summarise`, mention_roles: [roleId], mentions: [] } });
    client.close();
  });

  it("keeps a message's buttons, dispatches a click on one, and takes the component callbacks", async () => {
    const api = `${discord.rest.apiUrl}/v10`;
    const bot = { authorization: `Bot ${FAKE_DISCORD.token}`, "content-type": "application/json" };
    const row = { type: 1, components: [{ type: 2, style: 1, label: "Go", custom_id: "go" }] };
    const posted = await fetch(`${api}/channels/${FAKE_DISCORD.channelId}/messages`, {
      method: "POST",
      headers: bot,
      body: JSON.stringify({ content: "pick", components: [row] }),
    });
    const { id } = (await posted.json()) as { id: string };
    expect(discord.world.messages.get(id)?.components).toEqual([row]);
    const tooLong = { type: 1, components: [{ ...row.components[0], custom_id: "x".repeat(101) }] };
    const refused = await fetch(`${api}/channels/${FAKE_DISCORD.channelId}/messages`, {
      method: "POST",
      headers: bot,
      body: JSON.stringify({ content: "pick", components: [tooLong] }),
    });
    expect(refused.status).toBe(400);
    expect(() => discord.clickButton({ message_id: id, custom_id: "stop" })).toThrow(/no button stop/);

    const click = discord.clickButton({ message_id: id, custom_id: "go", user: people.bob });
    expect(click).toMatchObject({
      type: 3,
      version: 1,
      data: { custom_id: "go", component_type: 2 },
      message: { id, components: [row] },
      member: { user: { id: people.bob.id }, permissions: expect.stringMatching(/^\d+$/) },
      channel_id: FAKE_DISCORD.channelId,
      guild_id: FAKE_DISCORD.guildId,
      application_id: FAKE_DISCORD.applicationId,
      entitlements: [],
      context: 0,
      authorizing_integration_owners: { 0: FAKE_DISCORD.guildId },
    });
    const callback = (body: object, interaction: { id: string; token: string } = click) =>
      fetch(`${api}/interactions/${interaction.id}/${interaction.token}/callback`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await callback({ type: 7, data: { content: "picked", components: [] } })).status).toBe(204);
    expect(discord.world.interactions.get(click.id)?.response?.type).toBe(7);
    expect(discord.world.messages.get(id)).toMatchObject({ content: "picked", components: [] });
    expect((await callback({ type: 6 })).status).toBe(400); // acknowledged once only

    const command = discord.sendCommand({ name: "tools" });
    expect((await callback({ type: 6 }, command)).status).toBe(400); // a slash command has no message to update

    // PATCH replaces content and components; a follow-up after DEFERRED_UPDATE_MESSAGE may be ephemeral.
    const again = await fetch(`${api}/channels/${FAKE_DISCORD.channelId}/messages/${id}`, {
      method: "PATCH",
      headers: bot,
      body: JSON.stringify({ content: "pick again", components: [row] }),
    });
    expect(again.status).toBe(200);
    expect(discord.world.messages.get(id)).toMatchObject({ content: "pick again", components: [row] });
    const second = discord.clickButton({ message_id: id, custom_id: "go" });
    expect((await callback({ type: 6 }, second)).status).toBe(204);
    const followUp = await fetch(`${api}/webhooks/${FAKE_DISCORD.applicationId}/${second.token}?wait=true`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "only you see this", flags: 64 }),
    });
    const { id: followUpId } = (await followUp.json()) as { id: string };
    expect(discord.world.messages.get(followUpId)).toMatchObject({ ephemeral: true, flags: 64, channel_id: FAKE_DISCORD.channelId });
    expect(discord.world.interactions.get(second.id)).toMatchObject({ response: { type: 6 }, followUps: [followUpId] });
  });
});
