import type { ChatCompletionRequest } from "@copilotkit/aimock";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { projects } from "../../src/db/schema.js";
import { appMention, FAKE_SLACK, type FakeSlack, sendSignedRequest, slashCommandPayload } from "../fakes/slack/index.js";
import { ADMIN_TOOL, adminOnlyMcp, operatorPlan, operatorSpecialist } from "../support/admin-tool.js";
import { scriptLlm, type TestApp } from "../support/app.js";
import { scriptProjectLlm } from "../support/project-llm.js";
import { type SlackApp, startSlackApp } from "../support/slack-app.js";
import { waitFor } from "../support/wait.js";

const BOT = `<@${FAKE_SLACK.botUserId}>`;
const CHANNEL = "C0ADMINS";

describe("Slack admins and replayed slash commands (Bolt over HTTP, fake Slack)", () => {
  let slack: FakeSlack;
  let t: TestApp;
  let events: string;
  let app: SlackApp | undefined;

  beforeAll(async () => {
    app = await startSlackApp(
      {
        users: [
          { id: "U0ANN", name: "ann", display_name: "ann", is_admin: true },
          { id: "U0OTTO", name: "otto", display_name: "otto", is_owner: true },
          { id: "U0MEL", name: "mel", display_name: "mel" },
          { id: "U0LIS", name: "lis", display_name: "lis" },
        ],
      },
      { ADMIN_USERS: "slack:U0LIS", MCP_SERVERS: adminOnlyMcp, SPECIALISTS: operatorSpecialist },
    );
    ({ slack, t, events } = app);
  });
  afterAll(() => app?.stop());
  beforeEach(() => {
    slack.api.reset();
  });

  /** `/tools` as `user`: the text of its ephemeral answer. */
  async function tools(user: string): Promise<string> {
    const acked = await slack.sendSlashCommand(events, { command: "/tools", channel_id: CHANNEL, user_id: user });
    expect(acked.status).toBe(200);
    const response = await slack.api.waitForResponse((post) => post.context?.user_id === user && post.context.command === "/tools");
    return String(response.body.text);
  }

  it("offers admin-only tools to workspace admins, owners and ADMIN_USERS, not to members", async () => {
    expect(await tools("U0ANN")).toContain(ADMIN_TOOL);
    expect(await tools("U0OTTO")).toContain(ADMIN_TOOL);
    expect(await tools("U0LIS")).toContain(ADMIN_TOOL);
    expect(await tools("U0MEL")).not.toContain(ADMIN_TOOL);
    // ...and runs one for an admin alone.
    const run = async (user: string) => {
      slack.api.reset();
      await slack.sendSlashCommand(events, {
        command: "/tools",
        text: `run ${ADMIN_TOOL} {"a": 2, "b": 3}`,
        channel_id: CHANNEL,
        user_id: user,
      });
      return String((await slack.api.waitForResponse((post) => post.context?.user_id === user)).body.text);
    };
    expect(await run("U0ANN")).toMatch(/returned:\s*```\s*5\s*```/);
    expect(await run("U0MEL")).toMatch(/No tool "ops__add" is available/);
  });

  it("looks a person's role up once for several messages", async () => {
    const offered: { user: string; tools: string[] }[] = [];
    scriptLlm(t.llm, (request: ChatCompletionRequest) => {
      offered.push({ user: JSON.stringify(request.messages), tools: (request.tools ?? []).map((tool) => tool.function.name) });
      return { content: "Done." };
    });
    slack.api.addUser({ id: "U0NEW", name: "newt", display_name: "newt", is_admin: true });
    for (const text of ["first", "second", "third"]) {
      const event = appMention({ channel: CHANNEL, user: "U0NEW", text: `${BOT} ${text}` });
      await slack.sendEvent(events, event);
      await waitFor(() => offered.length >= ["first", "second", "third"].indexOf(text) + 1, 10_000, `the model called for "${text}"`);
    }
    await slack.sendEvent(events, appMention({ channel: CHANNEL, user: "U0MEL", text: `${BOT} fourth` }));
    await waitFor(() => offered.length === 4, 10_000, "the member's turn");
    expect(offered.slice(0, 3).every((call) => call.tools.includes(ADMIN_TOOL))).toBe(true);
    expect(offered[3]!.tools).not.toContain(ADMIN_TOOL);
    expect(slack.api.callsTo("users.info").filter((call) => call.args.user === "U0NEW")).toHaveLength(1);
  });

  it("starts one project for a /project request replayed three times", async () => {
    scriptProjectLlm(t.llm, { plans: [operatorPlan] });
    const body = new URLSearchParams(
      slashCommandPayload({ command: "/project", text: "Count the replays", channel_id: CHANNEL, user_id: "U0MEL" }, slack.api),
    ).toString();
    const timestamp = Math.floor(Date.now() / 1000);
    const send = () => sendSignedRequest(events, slack.signingSecret, body, "application/x-www-form-urlencoded", { timestamp });
    const first = await send();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const replays = await Promise.all([send(), send()]);
    expect([first, ...replays].map((answer) => answer.status)).toEqual([200, 200, 200]);

    await slack.api.waitForResponse((post) => String(post.body.text).includes("Started project"));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const started = await t.app.database.db.select().from(projects).where(eq(projects.goal, "Count the replays"));
    expect(started).toHaveLength(1);
    expect(slack.api.responses).toHaveLength(1);
  });

  it("runs a workspace admin's project with the admin role, after Slack has demoted them", async () => {
    const log = scriptProjectLlm(t.llm, { plans: [operatorPlan] });
    slack.api.addUser({ id: "U0ADA", name: "ada", display_name: "ada", is_admin: true });
    await slack.sendSlashCommand(events, { command: "/project", text: "Operate as an admin", channel_id: CHANNEL, user_id: "U0ADA" });
    await slack.api.waitForResponse((post) => String(post.body.text).includes("Started project"));
    // Demoted at once: the project keeps the role it started with; its tasks do not look it up again.
    slack.api.addUser({ id: "U0ADA", name: "ada", display_name: "ada", is_admin: false });
    const operated = () => log.tasks.filter((task) => task.key === "op");
    await waitFor(() => operated().length === 1, 20_000, "the admin's project's task");
    await slack.sendSlashCommand(events, { command: "/project", text: "Operate as a member", channel_id: CHANNEL, user_id: "U0MEL" });
    await waitFor(() => operated().length === 2, 20_000, "the member's project's task");

    const rows = await t.app.database.db.select().from(projects);
    const role = (goal: string) => rows.find((row) => row.goal === goal)?.creatorRole;
    expect(role("Operate as an admin")).toBe("admin");
    expect(role("Operate as a member")).toBe("member");
    expect(operated()[0]!.tools).toContain(ADMIN_TOOL);
    expect(operated()[1]!.tools).not.toContain(ADMIN_TOOL);
  });
});
