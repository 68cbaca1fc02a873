import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebClient } from "@slack/web-api";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackPoster } from "../../src/adapters/slack/poster.js";
import { toolApprovals } from "../../src/db/schema.js";
import { createLogger } from "../../src/wiring/log.js";
import { FAKE_SLACK, type FakeSlack, startFakeSlack } from "../fakes/slack/index.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { courierMcp, courierSpecialist, SEND_TOOL, scriptCourierLlm } from "../support/courier.js";
import { waitFor } from "../support/wait.js";

const CHANNEL = "C0COURIER";

/**
 * On a platform with people and roles, a project's call waits for the project's creator: the
 * prompt with its buttons is posted in the project's thread by the worker, and only the creator
 * (or an admin) may decide. Decisions are handed to the bot as the Slack adapter hands a click.
 */
describe("Slack /project with a call that waits for its creator (fake Slack, real BullMQ)", () => {
  let slack: FakeSlack;
  let t: TestApp;
  let dir: string;
  let sentFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "quorum-sent-"));
    sentFile = join(dir, "sent.txt");
    slack = await startFakeSlack({
      users: [
        { id: "U0ADA", name: "ada", display_name: "ada" },
        { id: "U0MEL", name: "mel", display_name: "mel" },
      ],
    });
    t = await startTestApp({ ...slack.env("http"), MCP_SERVERS: courierMcp(sentFile), SPECIALISTS: courierSpecialist });
  });
  afterAll(async () => {
    await t.stop();
    await slack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("asks in the project's thread, refuses a member who did not start it, and goes on when the creator approves", async () => {
    scriptCourierLlm(t.llm);
    await slack.sendSlashCommand(`${t.app.url}/slack/events`, {
      command: "/project",
      text: "Greet vendor-s for us",
      channel_id: CHANNEL,
      channel_name: "courier",
      user_id: "U0ADA",
      user_name: "ada",
    });
    await waitFor(() => slack.api.messagesIn(CHANNEL).some((m) => m.text.includes("Greet vendor-s")), 10_000, "the status message");
    const status = slack.api.messagesIn(CHANNEL).find((m) => m.user === FAKE_SLACK.botUserId && m.thread_ts === undefined)!;
    const isPrompt = (m: { blocks?: unknown[] }) => JSON.stringify(m.blocks ?? []).includes('"Approve"');
    await waitFor(() => slack.api.messagesIn(CHANNEL, status.ts).some(isPrompt), 20_000, "the prompt in the project's thread");
    const prompt = slack.api.messagesIn(CHANNEL, status.ts).find(isPrompt)!;
    expect(prompt.thread_ts).toBe(status.ts);
    expect(prompt.text).toContain(SEND_TOOL);
    expect(prompt.text).toContain("Only ada or an admin can decide");
    await waitFor(() => slack.api.message(CHANNEL, status.ts)!.text.includes("waiting for approval"), 10_000, "the status to say it waits");

    const [approval] = await t.app.database.db.select().from(toolApprovals).where(eq(toolApprovals.thread, status.ts));
    const poster = new SlackPoster(new WebClient(slack.env().SLACK_BOT_TOKEN, { slackApiUrl: slack.api.url }), createLogger("silent"));
    const click = (user: { id: string; name: string }, approve: boolean) =>
      t.app.router.decideApproval({ platform: "slack", id: approval!.id, approve, by: user }, poster);

    expect(await click({ id: "U0MEL", name: "mel" }, true)).toEqual({ status: "forbidden", asker: { id: "U0ADA", name: "ada" } });
    expect(existsSync(sentFile)).toBe(false);
    const decided = await click({ id: "U0ADA", name: "ada" }, true);
    if (decided.status !== "decided") throw new Error(`not decided: ${decided.status}`);
    await decided.turn;

    await waitFor(
      () => slack.api.messagesIn(CHANNEL, status.ts).some((m) => m.text.includes("REPORT: Delivered")),
      30_000,
      "the report in the thread",
    );
    expect(readFileSync(sentFile, "utf8")).toBe("vendor-s: hello\n");
    // The buttons gave way to who decided.
    const shown = slack.api.message(CHANNEL, prompt.ts)!;
    expect(shown.text).toContain("Approved by ada");
    expect(JSON.stringify(shown.blocks)).not.toContain('"Approve"');
  });
});
