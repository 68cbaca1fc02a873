import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ChatCompletionRequest } from "@copilotkit/aimock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { APPROVE_ACTION, DENY_ACTION } from "../../src/adapters/slack/approval-actions.js";
import {
  appMention,
  FAKE_SLACK,
  type FakeSlack,
  type FakeSlackMessage,
  type SlackEvent,
  sendSignedRequest,
  startFakeSlack,
} from "../fakes/slack/index.js";
import { scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { waitFor } from "../support/wait.js";

/**
 * A tool call that waits for a person, decided with the prompt's Block Kit buttons: the real app
 * against the fake Slack (over HTTP and over Socket Mode), the fake LLM and an HTTP API on loopback
 * that `http_request` (an external tool, so it waits by default) may call.
 */

const BOT = `<@${FAKE_SLACK.botUserId}>`;
const USERS = [
  { id: "U0ADA", name: "ada", display_name: "ada" },
  { id: "U0BOB", name: "bob", display_name: "bob" },
  { id: "U0ROOT", name: "root", display_name: "root", is_admin: true },
];

/** The API the tool calls; `hits` is how often the tool really ran. */
let api: Server;
let hits = 0;

beforeAll(async () => {
  api = createServer((req, res) => {
    hits += 1;
    res.writeHead(req.url === "/v1/items" ? 200 : 404, { "content-type": "application/json" }).end(JSON.stringify({ items: [1, 2] }));
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
});
afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

function toolSettings(): Record<string, string> {
  const { port } = api.address() as AddressInfo;
  return {
    HTTP_APIS: JSON.stringify([{ name: "inventory", baseUrl: `http://127.0.0.1:${port}/v1`, paths: ["/items"] }]),
    HTTP_ALLOWED_HOSTS: "127.0.0.1",
  };
}

/** The model calls the API first; once it has the tool's answer (or the refusal), it answers. */
function scriptModel(t: TestApp): void {
  scriptLlm(t.llm, (request: ChatCompletionRequest) => {
    const last = request.messages.at(-1);
    if (last?.role !== "tool") return { toolCalls: [{ name: "http_request", arguments: { api: "inventory", path: "/items" } }] };
    return { content: String(last.content).includes("declined") ? "Answered without the API." : "The inventory has 2 items." };
  });
}

/** The bot's finished messages in a thread, besides the prompt. */
function botTexts(slack: FakeSlack, channel: string, threadTs: string): string[] {
  return slack.api
    .messagesIn(channel, threadTs)
    .filter((m) => m.user === FAKE_SLACK.botUserId && m.stream !== "streaming" && m.blocks === undefined)
    .map((m) => m.text);
}

/**
 * Mentions the bot and waits until the turn has paused: the prompt with the buttons is in the
 * thread and stored as the approval's prompt (the 👀 comes off once the turn has returned).
 */
async function askForItems(slack: FakeSlack, send: (event: SlackEvent) => Promise<unknown>, channel: string) {
  const mention = appMention({ channel, user: "U0ADA", text: `${BOT} how many items are in the inventory?` });
  const thread = mention.ts as string;
  await send(mention);
  const posted = await slack.api.waitFor(
    (call) => call.method === "chat.postMessage" && call.args.thread_ts === thread && Array.isArray(call.args.blocks),
    10_000,
  );
  await slack.api.waitFor((call) => call.method === "reactions.remove" && call.args.timestamp === thread, 10_000);
  const prompt = slack.api.message(channel, String(posted.response?.ts))!;
  return { thread, prompt };
}

const blockTypes = (message: FakeSlackMessage | undefined) => (message?.blocks ?? []).map((block) => (block as { type: string }).type);

describe("Slack tool approvals over HTTP", () => {
  let slack: FakeSlack;
  let t: TestApp;
  let events: string;
  const logLines: string[] = [];
  let channelCount = 0;
  let channel: string;

  beforeAll(async () => {
    slack = await startFakeSlack({ users: USERS });
    t = await startTestApp({ ...slack.env("http"), ...toolSettings(), LOG_LEVEL: "warn" }, { logLines });
    events = `${t.app.url}/slack/events`;
    scriptModel(t);
  });
  afterAll(async () => {
    await t.stop();
    await slack.stop();
  });
  beforeEach(() => {
    hits = 0;
    channelCount += 1;
    channel = `C0APPROVE${channelCount}`;
    t.llm.mock.clearRequests();
  });

  const ask = () => askForItems(slack, (event) => slack.sendEvent(events, event), channel);
  const click = (prompt: FakeSlackMessage, actionId: string, user: string) =>
    slack.sendInteraction(events, slack.blockActions({ message: prompt, action_id: actionId, user }));
  const answered = (thread: string, text: string) =>
    waitFor(() => botTexts(slack, channel, thread).includes(text), 10_000, `the answer "${text}" in the thread`);
  const ephemeralTo = (user: string) =>
    slack.api.waitFor((call) => call.method === "chat.postEphemeral" && call.args.user === user && call.args.channel === channel);

  it("waits with Approve and Deny buttons, and runs the tool once the asker approves", async () => {
    const { thread, prompt } = await ask();
    expect(prompt.thread_ts).toBe(thread);
    expect(blockTypes(prompt)).toEqual(["section", "actions"]);
    expect(prompt.text).toContain("http_request");
    expect(botTexts(slack, channel, thread)).toEqual(["⏸️ Waiting for approval to run `http_request`."]);
    expect(hits).toBe(0);

    expect((await click(prompt, APPROVE_ACTION, "U0ADA")).status).toBe(200);
    await answered(thread, "The inventory has 2 items.");
    expect(hits).toBe(1);
    const decided = slack.api.message(channel, prompt.ts);
    expect(blockTypes(decided)).toEqual(["section", "context"]);
    expect(decided?.text).toContain("Approved by ada");
    expect(slack.api.callsTo("chat.update").filter((call) => call.args.ts === prompt.ts)).toHaveLength(1);
    expect(slack.api.ephemerals.filter((ephemeral) => ephemeral.channel === channel)).toEqual([]);
  });

  it("tells anyone else privately that they cannot decide, and runs nothing; a workspace admin can", async () => {
    const { thread, prompt } = await ask();
    expect((await click(prompt, APPROVE_ACTION, "U0BOB")).status).toBe(200);
    const refusal = await ephemeralTo("U0BOB");
    expect(refusal.args).toMatchObject({
      channel,
      user: "U0BOB",
      thread_ts: thread,
      text: "Only <@U0ADA> or a workspace admin can decide this.",
    });
    expect(hits).toBe(0);
    expect(blockTypes(slack.api.message(channel, prompt.ts))).toEqual(["section", "actions"]);
    expect(slack.api.callsTo("chat.update").filter((call) => call.args.ts === prompt.ts)).toHaveLength(0);

    await click(prompt, APPROVE_ACTION, "U0ROOT");
    await answered(thread, "The inventory has 2 items.");
    expect(hits).toBe(1);
    expect(slack.api.message(channel, prompt.ts)?.text).toContain("Approved by root");
  });

  it("runs the tool once when Approve is clicked twice, and tells the second click it was decided", async () => {
    const { thread, prompt } = await ask();
    const clicks = await Promise.all([click(prompt, APPROVE_ACTION, "U0ADA"), click(prompt, APPROVE_ACTION, "U0ADA")]);
    expect(clicks.map((sent) => sent.status)).toEqual([200, 200]);
    await answered(thread, "The inventory has 2 items.");
    const second = await ephemeralTo("U0ADA");
    expect(second.args.text).toMatch(/^This was already decided: ✅ Approved by ada at <!date\^\d+\^/);
    expect(hits).toBe(1);
    expect(slack.api.ephemerals.filter((ephemeral) => ephemeral.channel === channel)).toHaveLength(1);
    expect(botTexts(slack, channel, thread).filter((text) => text === "The inventory has 2 items.")).toHaveLength(1);
  });

  it("never runs a denied call, and tells the model it was declined", async () => {
    const { thread, prompt } = await ask();
    await click(prompt, DENY_ACTION, "U0ADA");
    await answered(thread, "Answered without the API.");
    expect(hits).toBe(0);
    const decided = slack.api.message(channel, prompt.ts);
    expect(blockTypes(decided)).toEqual(["section", "context"]);
    expect(decided?.text).toContain("Denied by ada");
    const resumed = t.llm.mock.getRequests().at(-1)!.body as ChatCompletionRequest;
    const toolMessage = resumed.messages.at(-1);
    expect(toolMessage?.role).toBe("tool");
    expect(String(toolMessage?.content)).toContain("declined this call, so it did not run");
  });

  it("ignores a malformed click without running anything, and says so for an unknown approval", async () => {
    const { thread, prompt } = await ask();
    const valid = slack.blockActions({ message: prompt, action_id: APPROVE_ACTION, user: "U0ADA" });
    const { channel: _channel, ...withoutChannel } = valid;
    const withoutValue = { ...valid, actions: [{ ...(valid.actions as object[])[0], value: undefined }] };
    for (const malformed of [withoutChannel, withoutValue]) expect((await slack.sendInteraction(events, malformed)).status).toBe(200);
    await waitFor(
      () => logLines.filter((line) => line.includes("ignored a malformed Slack approval click")).length === 2,
      5_000,
      "two warnings about malformed clicks",
    );
    const notJson = await sendSignedRequest(events, slack.signingSecret, "payload=%7Bnot-json", "application/x-www-form-urlencoded");
    expect(notJson.status).toBeGreaterThanOrEqual(400);

    const unknown = { ...valid, actions: [{ ...(valid.actions as object[])[0], value: "no-such-approval" }] };
    await slack.sendInteraction(events, unknown);
    expect((await ephemeralTo("U0ADA")).args.text).toBe("This approval no longer exists, so nothing was run.");
    expect(hits).toBe(0);
    expect(slack.api.callsTo("chat.update").filter((call) => call.args.ts === prompt.ts)).toHaveLength(0);

    // The app is still there, and the prompt still works.
    await click(prompt, APPROVE_ACTION, "U0ADA");
    await answered(thread, "The inventory has 2 items.");
    expect(hits).toBe(1);
  });
});

describe("Slack tool approvals over Socket Mode", () => {
  let slack: FakeSlack;
  let t: TestApp;

  beforeAll(async () => {
    slack = await startFakeSlack({ users: USERS, pingIntervalMs: 0 });
    t = await startTestApp({ ...slack.env("socket"), ...toolSettings() });
    scriptModel(t);
    await slack.socket.waitForConnection(1);
  });
  afterAll(async () => {
    await t.stop();
    await slack.stop();
  });

  it("acks the interactive envelope and runs the tool once the asker approves", async () => {
    hits = 0;
    const channel = "C0SOCKETAPPROVE";
    const { thread, prompt } = await askForItems(slack, async (event) => slack.pushEvent(event), channel);
    expect(hits).toBe(0);
    const envelope = slack.pushInteraction(slack.blockActions({ message: prompt, action_id: APPROVE_ACTION, user: "U0ADA" }));
    await slack.socket.waitForAck(envelope);
    await waitFor(() => botTexts(slack, channel, thread).includes("The inventory has 2 items."), 10_000, "the answer in the thread");
    expect(hits).toBe(1);
    expect(slack.api.message(channel, prompt.ts)?.text).toContain("Approved by ada");
  });
});
