import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_SLACK, type FakeSlack, startFakeSlack } from "../fakes/slack/index.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { diamond, scriptProjectLlm } from "../support/project-llm.js";
import { waitFor } from "../support/wait.js";

const CHANNEL = "C0PROJECTS";

describe("Slack /project (Bolt over HTTP, fake Slack, real BullMQ)", () => {
  let slack: FakeSlack;
  let t: TestApp;

  beforeAll(async () => {
    slack = await startFakeSlack({ users: [{ id: "U0ADA", name: "ada", display_name: "ada" }] });
    t = await startTestApp({ ...slack.env("http") });
  });
  afterAll(async () => {
    await t.stop();
    await slack.stop();
  });

  it("posts its status message in the channel, works in that message's thread, and reports once", async () => {
    scriptProjectLlm(t.llm, {
      plans: [diamond],
      taskMs: (key) => (key === "b" || key === "c" ? 2_500 : 50),
      work: (key) => (key === "d" ? "REPORT-7F3: vendor B wins." : `Result of ${key}.`),
    });
    const acked = await slack.sendSlashCommand(`${t.app.url}/slack/events`, {
      command: "/project",
      text: "Compare the three vendors and recommend one",
      channel_id: CHANNEL,
      channel_name: "projects",
      user_id: "U0ADA",
      user_name: "ada",
    });
    expect(acked.status).toBe(200);
    const response = await slack.api.waitForResponse((post) => post.context?.command === "/project");
    expect(response.body).toMatchObject({ response_type: "ephemeral" });
    expect(String(response.body.text)).toContain("Started project");

    // Slash commands cannot be typed in threads: the status message starts one.
    const status = slack.api.messagesIn(CHANNEL).find((m) => m.user === FAKE_SLACK.botUserId && m.thread_ts === undefined)!;
    expect(status.text).toContain("Compare the three vendors");
    await waitFor(
      () => slack.api.messagesIn(CHANNEL, status.ts).some((m) => m.text.includes("REPORT-7F3")),
      30_000,
      "the report in the thread",
    );
    // The last status edit follows the report within an interval or two.
    await waitFor(() => slack.api.message(CHANNEL, status.ts)!.text.includes("Status: done"), 10_000, "the last status edit");

    const thread = slack.api.messagesIn(CHANNEL, status.ts).filter((m) => m.ts !== status.ts);
    expect(thread.filter((m) => m.text.includes("REPORT-7F3"))).toHaveLength(1);
    expect(thread.filter((m) => m.text.includes("finished:"))).toHaveLength(3);
    const final = slack.api.message(CHANNEL, status.ts)!;
    expect(final.text).toContain("Status: done · 4/4 tasks done");
    expect(final.edits).toBeGreaterThanOrEqual(2);
    const updates = final.writes.filter((write) => write.method === "chat.update");
    for (let i = 1; i < updates.length; i++) expect(updates[i]!.at - updates[i - 1]!.at).toBeGreaterThanOrEqual(1_500);
  });
});
