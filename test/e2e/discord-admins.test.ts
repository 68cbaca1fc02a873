import type { ChatCompletionRequest } from "@copilotkit/aimock";
import type { APIUser } from "discord.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_DISCORD, type FakeDiscord, people } from "../fakes/discord/index.js";
import { ADMIN_TOOL, adminOnlyMcp, operatorPlan, operatorSpecialist } from "../support/admin-tool.js";
import { scriptLlm, type TestApp } from "../support/app.js";
import { type DiscordApp, startDiscordApp } from "../support/discord-app.js";
import { scriptProjectLlm } from "../support/project-llm.js";
import { waitFor } from "../support/wait.js";

describe("Discord admins (discord.js, fake Discord with roles)", () => {
  let discord: FakeDiscord;
  let t: TestApp;
  let app: DiscordApp | undefined;

  beforeAll(async () => {
    app = await startDiscordApp({
      ADMIN_USERS: `discord:${people.bob.id}`,
      MCP_SERVERS: adminOnlyMcp,
      SPECIALISTS: operatorSpecialist,
    });
    ({ discord, t } = app);
  });
  afterAll(() => app?.stop());

  /** A slash command as `user`; the text of its (edited) deferred reply. */
  async function command(user: APIUser, name: string, request?: string): Promise<string> {
    const interaction = discord.sendCommand({ name, user, ...(request && { options: { request } }) });
    await discord.rest.waitFor(
      (call) => call.route === "PATCH /webhooks/:app/:token/messages/@original" && call.params.token === interaction.token,
      10_000,
    );
    return discord.world.messages.get(discord.world.interactions.get(interaction.id)!.originalMessageId!)!.content;
  }

  it("offers admin-only tools to Manage Server, Administrator, the owner and ADMIN_USERS, not to members", async () => {
    expect(await command(people.carol, "tools")).toContain(ADMIN_TOOL);
    expect(await command(people.dave, "tools")).toContain(ADMIN_TOOL);
    expect(await command(people.olive, "tools")).toContain(ADMIN_TOOL);
    expect(await command(people.bob, "tools")).toContain(ADMIN_TOOL);
    expect(await command(people.alice, "tools")).not.toContain(ADMIN_TOOL);
    expect(await command(people.carol, "tools", `run ${ADMIN_TOOL} {"a": 2, "b": 3}`)).toMatch(/returned:\s*```\s*5\s*```/);
    expect(await command(people.alice, "tools", `run ${ADMIN_TOOL} {"a": 2, "b": 3}`)).toMatch(/No tool "ops__add" is available/);
  });

  it("offers the model admin-only tools for a message from a member whose roles make them admin", async () => {
    const offered: string[][] = [];
    scriptLlm(t.llm, (request: ChatCompletionRequest) => {
      offered.push((request.tools ?? []).map((tool) => tool.function.name));
      return { content: "Done." };
    });
    for (const author of [people.carol, people.dave, people.alice]) {
      const before = offered.length;
      discord.sendMessage({
        channel_id: FAKE_DISCORD.channelId,
        guild_id: FAKE_DISCORD.guildId,
        author,
        content: "hello",
        mentionBot: true,
      });
      await waitFor(() => offered.length > before, 10_000, `${author.username}'s turn`);
    }
    expect(offered.map((tools) => tools.includes(ADMIN_TOOL))).toEqual([true, true, false]);
  });

  it("runs a project with the role its creator had", async () => {
    const log = scriptProjectLlm(t.llm, { plans: [operatorPlan] });
    const operated = () => log.tasks.filter((task) => task.key === "op");
    expect(await command(people.carol, "project", "Operate as a moderator")).toContain("Started project");
    await waitFor(() => operated().length === 1, 20_000, "the moderator's project's task");
    expect(await command(people.alice, "project", "Operate as a member")).toContain("Started project");
    await waitFor(() => operated().length === 2, 20_000, "the member's project's task");
    expect(operated().map((task) => task.tools.includes(ADMIN_TOOL))).toEqual([true, false]);
  });
});
