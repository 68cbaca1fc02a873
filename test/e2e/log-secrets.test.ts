import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appMention, FAKE_SLACK, type FakeSlack, startFakeSlack } from "../fakes/slack/index.js";
import { scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { waitFor } from "../support/wait.js";

/** Secrets and private words planted in one run, then looked for in every log line. */
const salt = randomBytes(6).toString("hex");
const planted = {
  llmKey: `sk-planted-${salt}-0123456789abcdef`,
  apiToken: `plainly-shaped-${salt}`,
  privateText: `my salary is ${salt}`,
  privateSlackText: `the merger with ${salt}co`,
};

describe("logs of a whole scenario", () => {
  const lines: string[] = [];
  let slack: FakeSlack;
  let api: Server;
  let t: TestApp;

  beforeAll(async () => {
    // An API that echoes the credential it was sent, as a confused server might.
    api = createServer((req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `token ${req.headers.authorization} refused` }));
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    slack = await startFakeSlack({ users: [{ id: "U0ADA", name: "ada", display_name: "ada" }] });
    t = await startTestApp(
      {
        ...slack.env("http"),
        WEB_CONSOLE: "on",
        LOG_LEVEL: "info",
        OPENAI_API_KEY: planted.llmKey,
        PLANTED_API_TOKEN: planted.apiToken,
        HTTP_APIS: JSON.stringify([{ name: "internal", baseUrl: apiUrl, auth: { env: "PLANTED_API_TOKEN", prefix: "Token " } }]),
        HTTP_ALLOWED_HOSTS: "127.0.0.1",
      },
      { logLines: lines },
    );
  });

  afterAll(async () => {
    await t.stop();
    await slack.stop();
    await new Promise((resolve) => api.close(resolve));
  });

  it("holds no secret and no message text", async () => {
    // A model that refuses the key and echoes it, as OpenAI's 401 does.
    t.llm.mock.nextRequestError(401, { message: `Incorrect API key provided: ${planted.llmKey}`, type: "invalid_request_error" });
    const refused = await t.post("/api/chat", { channel: "general", user: "ada", text: planted.privateText });
    expect(refused.status).toBe(200);

    // A tool whose server echoes the credential back.
    let calls = 0;
    scriptLlm(t.llm, () =>
      calls++ === 0
        ? { toolCalls: [{ name: "http_request", arguments: JSON.stringify({ api: "internal", method: "GET", path: "/x" }) }] }
        : { content: "done" },
    );
    const paused = await t.post("/api/chat", { channel: "general", user: "ada", text: planted.privateText });
    expect(paused.json.pendingApproval).toMatchObject({ tool: "http_request" });
    const tooled = await t.post(`/api/approvals/${paused.json.pendingApproval.id}`, { approve: true });
    expect(tooled.json.toolCalls).toMatchObject([{ name: "http_request" }]);

    // A Slack mention, signed with the app's signing secret, answered with the bot token.
    const mention = appMention({ channel: "C0GENERAL", text: `<@${FAKE_SLACK.botUserId}> ${planted.privateSlackText}` });
    expect((await slack.sendEvent(`${t.app.url}/slack/events`, mention)).status).toBe(200);
    await waitFor(() => slack.api.callsTo("chat.startStream").length + slack.api.callsTo("chat.postMessage").length > 0);

    const log = lines.join("");
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [...Object.values(planted), slack.botToken, slack.signingSecret]) expect(log).not.toContain(secret);
  });
});
