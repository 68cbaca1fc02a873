import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ChatCompletionRequest } from "@copilotkit/aimock";
import type { APIUser } from "discord.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  botUser,
  FAKE_DISCORD,
  type FakeDiscord,
  type FakeDiscordMessage,
  type FakeInteraction,
  people,
  snowflake,
} from "../fakes/discord/index.js";
import { scriptLlm, type TestApp } from "../support/app.js";
import { type DiscordApp, startDiscordApp } from "../support/discord-app.js";
import { waitFor } from "../support/wait.js";

/** What the model answers once it has the tool's result, or was told the call was declined. */
const RAN = "The API answered; here are the items.";
const DECLINED = "I did not call the API, since that was declined.";

describe("Discord tool approvals (buttons on a prompt, clicked in a fake Discord)", () => {
  let discord: FakeDiscord;
  let t: TestApp;
  let app: DiscordApp | undefined;
  let api: Server;
  /** Requests that reached the external API: each is one run of `http_request`. */
  let apiHits = 0;
  /** The tool messages the model was sent, in order. */
  let toolMessages: string[] = [];

  beforeAll(async () => {
    api = createServer((_req, res) => {
      apiHits += 1;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ items: [1, 2] }));
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    const { port } = api.address() as AddressInfo;
    app = await startDiscordApp({
      HTTP_APIS: JSON.stringify([{ name: "shop", baseUrl: `http://127.0.0.1:${port}/v1`, paths: ["/items"] }]),
      HTTP_ALLOWED_HOSTS: "127.0.0.1",
    });
    ({ discord, t } = app);
  });
  afterAll(async () => {
    await app?.stop();
    await new Promise<void>((resolve) => api?.close(() => resolve()));
  });
  beforeEach(() => {
    apiHits = 0;
    toolMessages = [];
    scriptLlm(t.llm, (request: ChatCompletionRequest) => {
      const last = request.messages.at(-1);
      if (last?.role !== "tool") return { toolCalls: [{ name: "http_request", arguments: { api: "shop", path: "/items" } }] };
      const result = typeof last.content === "string" ? last.content : "";
      toolMessages.push(result);
      return { content: result.includes("declined") ? DECLINED : RAN };
    });
  });

  /** Alice asks for something that needs the API; resolves once the prompt with its buttons is in the thread. */
  async function askForTheApi(text: string) {
    const sent = discord.sendMessage({
      channel_id: FAKE_DISCORD.channelId,
      guild_id: FAKE_DISCORD.guildId,
      content: text,
      mentionBot: true,
    });
    const thread = sent.id;
    const promptIn = () => discord.botMessagesIn(thread).find((m) => m.components.length > 0);
    await waitFor(() => promptIn() !== undefined, 15_000, "the approval prompt");
    const prompt = promptIn()!;
    const buttons = prompt.components.flatMap((row) =>
      "components" in row ? (row.components as { label?: string; custom_id?: string }[]) : [],
    );
    const idOf = (label: string) => buttons.find((button) => button.label === label)?.custom_id ?? "";
    return { thread, prompt, approve: idOf("Approve"), deny: idOf("Deny") };
  }

  const click = (prompt: FakeDiscordMessage, customId: string, user: APIUser): FakeInteraction => {
    const { id } = discord.clickButton({ message_id: prompt.id, custom_id: customId, user });
    return discord.world.interactions.get(id)!;
  };

  /** The bot's final answer in `thread`, once it is there in full. */
  async function answerIn(thread: string, text: string): Promise<FakeDiscordMessage> {
    await waitFor(() => discord.botMessagesIn(thread).some((m) => m.content === text), 15_000, `the answer "${text}"`);
    return discord.botMessagesIn(thread).find((m) => m.content === text)!;
  }

  /** The ephemeral follow-up a click got, once there is one. */
  async function privateReply(interaction: FakeInteraction): Promise<FakeDiscordMessage> {
    await waitFor(() => interaction.followUps.length > 0, 10_000, "an ephemeral follow-up");
    return discord.world.messages.get(interaction.followUps[0]!)!;
  }

  it("pauses at an external call, and runs it once the asker approves", async () => {
    const { thread, prompt, approve, deny } = await askForTheApi("list the shop's items");
    expect(prompt.components).toEqual([
      {
        type: 1,
        components: [
          expect.objectContaining({ type: 2, style: 3, label: "Approve", custom_id: expect.stringMatching(/^approval:approve:[\w-]+$/) }),
          expect.objectContaining({ type: 2, style: 4, label: "Deny", custom_id: deny }),
        ],
      },
    ]);
    expect(prompt.content).toContain("Approval needed** to run `http_request`");
    expect(discord.botMessagesIn(thread).map((m) => m.content)).toContain("⏸️ Waiting for approval to run `http_request`.");
    expect(apiHits).toBe(0);

    const clicked = click(prompt, approve, people.alice);
    const answer = await answerIn(thread, RAN);
    expect(clicked.response?.type).toBe(6);
    expect(clicked.followUps).toEqual([]);
    expect(apiHits).toBe(1);
    expect(prompt.components).toEqual([]);
    expect(prompt.content).toMatch(/✅ Approved by Alice at <t:\d+:f>\./);
    expect(prompt.edits.at(-1)?.components).toEqual([]);
    // The turn goes on below its prompt, in the same thread.
    expect(BigInt(answer.id)).toBeGreaterThan(BigInt(prompt.id));
    expect(toolMessages).toHaveLength(1);
    expect(toolMessages[0]).toContain("items");
  });

  it("tells another member privately that only the asker or an admin decides, and runs nothing", async () => {
    const { thread, prompt, approve, deny } = await askForTheApi("list them for bob");
    const clicked = click(prompt, approve, people.bob);
    const reply = await privateReply(clicked);
    expect(clicked.response?.type).toBe(6);
    expect(reply).toMatchObject({ ephemeral: true, content: `Only <@${people.alice.id}> or a server admin can decide this.` });
    expect(reply.flags & 64).toBe(64);
    expect(apiHits).toBe(0);
    expect(prompt.components).toHaveLength(1);
    expect(prompt.edits).toEqual([]);

    // Still the asker's to decide.
    click(prompt, deny, people.alice);
    await answerIn(thread, DECLINED);
    expect(apiHits).toBe(0);
  });

  it("lets a member with Administrator decide someone else's call", async () => {
    const { thread, prompt, approve } = await askForTheApi("list them, dave may say yes");
    const clicked = click(prompt, approve, people.dave);
    await answerIn(thread, RAN);
    expect(clicked.response?.type).toBe(6);
    expect(apiHits).toBe(1);
    expect(prompt.content).toMatch(/✅ Approved by Dave at/);
  });

  it("runs the call once for a double click, and tells the second click it was already decided", async () => {
    const { thread, prompt, approve } = await askForTheApi("list them, clicking twice");
    const clicks = [click(prompt, approve, people.alice), click(prompt, approve, people.alice)];
    await answerIn(thread, RAN);
    await waitFor(() => clicks.some((c) => c.followUps.length > 0), 10_000, "the second click's reply");
    expect(clicks.map((c) => c.response?.type)).toEqual([6, 6]);
    const second = clicks.find((c) => c.followUps.length > 0)!;
    expect(clicks.filter((c) => c.followUps.length > 0)).toHaveLength(1);
    const reply = discord.world.messages.get(second.followUps[0]!)!;
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/^Already decided: ✅ Approved by Alice at <t:\d+:f>\.$/);
    expect(apiHits).toBe(1);
    expect(toolMessages).toHaveLength(1);
    expect(discord.botMessagesIn(thread).filter((m) => m.content === RAN)).toHaveLength(1);
  });

  it("never runs a denied call, and tells the model it was declined", async () => {
    const { thread, prompt, deny } = await askForTheApi("list them, but I will say no");
    const clicked = click(prompt, deny, people.alice);
    await answerIn(thread, DECLINED);
    expect(clicked.response?.type).toBe(6);
    expect(apiHits).toBe(0);
    expect(prompt.components).toEqual([]);
    expect(prompt.content).toMatch(/🚫 Denied by Alice at/);
    expect(toolMessages).toEqual([expect.stringContaining("declined this call, so it did not run")]);
  });

  it("leaves other buttons alone, and says privately when an approval is not known", async () => {
    const seeded = discord.world.storeMessage({
      id: snowflake(),
      channel_id: FAKE_DISCORD.channelId,
      guild_id: FAKE_DISCORD.guildId,
      author: botUser(),
      content: "an old prompt",
      embeds: [],
      components: [
        {
          type: 1,
          components: [
            { type: 2, style: 1, label: "Other", custom_id: "poll:yes" },
            { type: 2, style: 3, label: "Approve", custom_id: "approval:approve:no-such-approval" },
          ],
        },
      ],
      attachments: [],
      flags: 0,
      type: 0,
      mentions: [],
      source: "seed",
      ephemeral: false,
    });
    const other = click(seeded, "poll:yes", people.alice);
    const unknown = click(seeded, "approval:approve:no-such-approval", people.alice);
    const reply = await privateReply(unknown);
    expect(reply).toMatchObject({ ephemeral: true, content: "This approval is not known here any more." });
    // Clicked first, handled without a round trip: had it been answered, it would be by now.
    expect(other.response).toBeUndefined();
    expect(seeded.edits).toEqual([]);
  });
});
