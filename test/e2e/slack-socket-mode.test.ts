import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appMention, FAKE_SLACK, type FakeSlack, startFakeSlack } from "../fakes/slack/index.js";
import { scriptLlm, startTestApp, type TestApp } from "../support/app.js";

describe("Slack over Socket Mode", () => {
  let slack: FakeSlack;
  let t: TestApp;

  beforeAll(async () => {
    slack = await startFakeSlack({ users: [{ id: "U0ADA", name: "ada", display_name: "ada" }], pingIntervalMs: 0 });
    t = await startTestApp({ ...slack.env("socket") });
    scriptLlm(t.llm, () => ({ content: "Answered over the socket." }));
    await slack.socket.waitForConnection(1);
  });
  afterAll(async () => {
    await t.stop();
    await slack.stop();
  });

  it("acks an events_api envelope and answers the mention in its thread", async () => {
    const mention = appMention({ channel: "C0SOCKET", text: `<@${FAKE_SLACK.botUserId}> over the socket?` });
    const envelope = slack.pushEvent(mention);
    await slack.socket.waitForAck(envelope);
    await slack.api.waitFor((call) => call.method === "chat.stopStream" || call.method === "chat.postMessage");
    const reply = slack.api.messagesIn("C0SOCKET", mention.ts as string).find((m) => m.user === FAKE_SLACK.botUserId);
    expect(reply?.text).toBe("Answered over the socket.");
    expect(reply?.thread_ts).toBe(mention.ts);
  });

  it("acks a slash command and answers it through response_url", async () => {
    const envelope = slack.pushSlashCommand({
      command: "/agent",
      text: "",
      channel_id: "C0SOCKET",
      channel_name: "socket",
      user_id: "U0ADA",
      user_name: "ada",
    });
    await slack.socket.waitForAck(envelope);
    const response = await slack.api.waitForResponse((post) => post.context?.command === "/agent");
    expect(String(response.body.text)).toContain("Assistant of #socket");
  });

  it("acks a slash command delivered twice with the same trigger_id, and answers it once", async () => {
    const command = {
      command: "/agent",
      channel_id: "C0SOCKET",
      channel_name: "socket",
      user_id: "U0ADA",
      trigger_id: "13345224609.738474920.twice",
    };
    const answered = slack.api.responses.length;
    const envelopes = [slack.pushSlashCommand(command), slack.pushSlashCommand(command)];
    for (const envelope of envelopes) await slack.socket.waitForAck(envelope);
    await slack.api.waitForResponse((post) => post.context?.command === "/agent" && slack.api.responses.indexOf(post) >= answered);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(slack.api.responses.length - answered).toBe(1);
  });
});
