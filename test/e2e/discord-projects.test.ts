import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_DISCORD, type FakeDiscord } from "../fakes/discord/index.js";
import type { TestApp } from "../support/app.js";
import { type DiscordApp, startDiscordApp } from "../support/discord-app.js";
import { diamond, scriptProjectLlm } from "../support/project-llm.js";
import { waitFor } from "../support/wait.js";

describe("Discord /project (discord.js, fake Discord, real BullMQ)", () => {
  let discord: FakeDiscord;
  let t: TestApp;
  let app: DiscordApp | undefined;

  beforeAll(async () => {
    app = await startDiscordApp();
    ({ discord, t } = app);
  });
  afterAll(() => app?.stop());

  it("defers, answers with the id, and works in a thread of its own with bot messages, reporting once", async () => {
    scriptProjectLlm(t.llm, {
      plans: [diamond],
      taskMs: (key) => (key === "b" || key === "c" ? 2_500 : 50),
      work: (key) => (key === "d" ? "REPORT-D15C: vendor B wins." : `Result of ${key}.`),
    });
    const interaction = discord.sendCommand({ name: "project", options: { request: "Compare the three vendors" } });
    const edited = await discord.rest.waitFor(
      (call) => call.route === "PATCH /webhooks/:app/:token/messages/@original" && call.params.token === interaction.token,
    );
    const stored = discord.world.interactions.get(interaction.id)!;
    expect(stored.response).toMatchObject({ type: 5 });
    expect(stored.response!.at).toBeLessThanOrEqual(edited.at);
    expect(discord.world.messages.get(stored.originalMessageId!)!.content).toContain("Started project");

    // A thread on a starter message in the channel; everything after goes in it as bot messages,
    // not through the interaction token, which expires after 15 minutes.
    await waitFor(() => discord.world.threadsOf(FAKE_DISCORD.channelId).length > 0, 10_000, "the project thread");
    const [thread] = discord.world
      .threadsOf(FAKE_DISCORD.channelId)
      .filter((channel) => channel.name?.includes("Compare the three vendors"));
    expect(thread).toBeDefined();
    await waitFor(
      () => discord.botMessagesIn(thread!.id).some((m) => m.content.includes("REPORT-D15C")),
      30_000,
      "the report in the thread",
    );
    // The last status edit follows the report within an interval or two.
    await waitFor(() => discord.botMessagesIn(thread!.id)[0]!.content.includes("Status: done"), 10_000, "the last status edit");

    const messages = discord.botMessagesIn(thread!.id);
    const status = messages[0]!;
    expect(status.content).toContain("Status: done · 4/4 tasks done");
    expect(messages.filter((m) => m.content.includes("REPORT-D15C"))).toHaveLength(1);
    expect(messages.filter((m) => m.content.includes("finished:"))).toHaveLength(3);
    expect(status.edits.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < status.edits.length; i++) expect(status.edits[i]!.at - status.edits[i - 1]!.at).toBeGreaterThanOrEqual(1_500);
    expect(
      discord.rest.calls.filter((call) => call.route.startsWith("PATCH /webhooks/") && call.params.token === interaction.token),
    ).toHaveLength(1);
  });
});
