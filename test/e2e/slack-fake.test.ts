import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verifySlackRequest } from "@slack/bolt";
import { SocketModeClient } from "@slack/socket-mode";
import { LogLevel, WebClient } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appMention,
  botMessage,
  channelMessage,
  FAKE_SLACK,
  type FakeSlack,
  imMessage,
  messageChanged,
  startFakeSlack,
  startFakeSlackApi,
} from "../fakes/slack/index.js";

/** The fake Slack driven by the real clients: @slack/web-api, Bolt's verifier, @slack/socket-mode. */

interface Captured {
  body: string;
  headers: IncomingHttpHeaders;
}

/** A bare HTTP endpoint standing in for the bot's /slack/events, recording what Slack sent. */
async function startCapture(): Promise<{ url: string; requests: Captured[]; stop(): Promise<void> }> {
  const requests: Captured[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      requests.push({ body: Buffer.concat(chunks).toString("utf8"), headers: req.headers });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slack/events`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const slackError = (error: unknown) => (error as { data?: { error?: string } }).data?.error;

describe("fake Slack", () => {
  let slack: FakeSlack;
  let client: WebClient;

  beforeAll(async () => {
    slack = await startFakeSlack({ pingIntervalMs: 0 });
    client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 1 }, logLevel: LogLevel.ERROR });
  });
  afterAll(() => slack.stop());

  it("answers auth.test as the bot and records how the client sent it", async () => {
    const auth = await client.auth.test();
    expect(auth).toMatchObject({ ok: true, team_id: "T0001", user_id: "U0BOT", bot_id: "B0BOT", user: "quorum" });
    const [call] = slack.api.callsTo("auth.test");
    expect(call).toMatchObject({ token: slack.botToken, encoding: "form" });
    expect(slack.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);

    // Slack also takes JSON bodies, with the token only in the Authorization header.
    const json = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${slack.botToken}` },
      body: JSON.stringify({ channel: "C0JSON", text: "as json", blocks: [{ type: "divider" }] }),
    });
    expect(await json.json()).toMatchObject({ ok: true, channel: "C0JSON", message: { text: "as json", blocks: [{ type: "divider" }] } });
    expect(slack.api.callsTo("chat.postMessage").at(-1)).toMatchObject({ encoding: "json", token: slack.botToken });
    const unauthed = await fetch(`${slack.apiUrl}auth.test`, { method: "POST" });
    expect(await unauthed.json()).toEqual({ ok: false, error: "not_authed" });
  });

  it("posts then edits a message in a thread, decoding JSON-encoded blocks", async () => {
    const parent = slack.api.addMessage({ channel: "C0POST", user: "U0ADA", text: "<@U0BOT> hi" });
    const blocks = [{ type: "section", text: { type: "mrkdwn", text: "*hello* [not json" } }];
    const posted = await client.chat.postMessage({ channel: "C0POST", thread_ts: parent.ts, text: "hello", blocks });
    expect(posted).toMatchObject({
      ok: true,
      channel: "C0POST",
      message: { text: "hello", user: "U0BOT", bot_id: "B0BOT", thread_ts: parent.ts },
    });
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(slack.api.callsTo("chat.postMessage").at(-1)?.args.blocks).toEqual(blocks);

    const updated = await client.chat.update({ channel: "C0POST", ts: posted.ts!, text: "hello, edited" });
    expect(updated).toMatchObject({ ok: true, channel: "C0POST", ts: posted.ts, text: "hello, edited" });

    const thread = slack.api.messagesIn("C0POST", parent.ts);
    expect(thread.map((m) => m.text)).toEqual(["<@U0BOT> hi", "hello, edited"]);
    expect(thread[1]).toMatchObject({ edits: 1 });

    const replies = await client.conversations.replies({ channel: "C0POST", ts: parent.ts });
    expect(replies.messages?.map((m) => m.text)).toEqual(["<@U0BOT> hi", "hello, edited"]);
    expect(replies.messages?.[0]).toMatchObject({ reply_count: 1, thread_ts: parent.ts });

    await expect(client.chat.update({ channel: "C0POST", ts: "1.000001", text: "x" })).rejects.toSatisfy(
      (error) => slackError(error) === "message_not_found",
    );
    await expect(client.chat.update({ channel: "C0POST", ts: parent.ts, text: "x" })).rejects.toSatisfy(
      (error) => slackError(error) === "cant_update_message",
    );
  });

  it("streams with start, append and stop, and refuses appends after the stop", async () => {
    const recipients = { recipient_team_id: "T0001", recipient_user_id: "U0ADA" };
    const start = await client.chat.startStream({
      channel: "C0STREAM",
      thread_ts: "1700000000.000100",
      markdown_text: "Hel",
      ...recipients,
    });
    expect(start).toMatchObject({ ok: true, channel: "C0STREAM" });
    const ts = start.ts!;
    expect(slack.api.message("C0STREAM", ts)).toMatchObject({ stream: "streaming", text: "Hel" });
    await expect(client.chat.update({ channel: "C0STREAM", ts, text: "no" })).rejects.toSatisfy(
      (error) => slackError(error) === "streaming_state_conflict",
    );

    await client.chat.appendStream({ channel: "C0STREAM", ts, markdown_text: "lo " });
    await client.chat.stopStream({ channel: "C0STREAM", ts, markdown_text: "world" });
    expect(slack.api.messagesIn("C0STREAM", "1700000000.000100").map((m) => [m.text, m.stream])).toEqual([["Hello world", "stopped"]]);

    await expect(client.chat.appendStream({ channel: "C0STREAM", ts, markdown_text: "!" })).rejects.toSatisfy(
      (error) => slackError(error) === "message_not_in_streaming_state",
    );
    await expect(client.chat.appendStream({ channel: "C0STREAM", ts: "1.000002", markdown_text: "!" })).rejects.toSatisfy(
      (error) => slackError(error) === "message_not_found",
    );
    await expect(client.chat.startStream({ channel: "C0STREAM", thread_ts: "1700000000.000100", markdown_text: "x" })).rejects.toSatisfy(
      (error) => slackError(error) === "missing_recipient_team_id",
    );

    // The SDK's own streamer sends `chunks` (JSON-encoded in the form), not markdown_text.
    const streamer = client.chatStream({ channel: "D0ADA", thread_ts: "1700000000.000200" });
    await streamer.append({ markdown_text: "chunked " });
    await streamer.stop({ markdown_text: "answer" });
    expect(slack.api.messagesIn("D0ADA", "1700000000.000200").map((m) => m.text)).toEqual(["chunked answer"]);

    slack.api.script.refuseStreaming();
    await expect(client.chat.startStream({ channel: "D0ADA", thread_ts: "1700000000.000300", markdown_text: "x" })).rejects.toSatisfy(
      (error) => slackError(error) === "not_allowed_token_type",
    );
    slack.api.script.allowStreaming();
  });

  it("answers ratelimited with HTTP 429 and Retry-After, which the client waits out", async () => {
    const posted = await client.chat.postMessage({ channel: "C0RATE", text: "v1" });
    slack.api.script.fail("chat.update", "ratelimited", { retryAfter: 1 });
    const before = slack.api.callsTo("chat.update").length;
    const updated = await client.chat.update({ channel: "C0RATE", ts: posted.ts!, text: "v2" });
    expect(updated.ok).toBe(true);
    const [limited, retried] = slack.api.callsTo("chat.update").slice(before);
    expect(limited).toMatchObject({ status: 429, response: { ok: false, error: "ratelimited" } });
    expect(retried).toMatchObject({ status: 200, response: { ok: true } });
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(900);
    expect(slack.api.message("C0RATE", posted.ts!)?.text).toBe("v2");
  });

  it("answers unknown methods, over-long text and scripted failures as Slack does", async () => {
    await expect(client.apiCall("quorum.nothing")).rejects.toSatisfy((error) => slackError(error) === "unknown_method");

    await expect(client.chat.postMessage({ channel: "C0LONG", text: "x".repeat(40_001) })).rejects.toSatisfy(
      (error) => slackError(error) === "msg_too_long",
    );
    expect((await client.chat.postMessage({ channel: "C0LONG", text: "x".repeat(40_000) })).ok).toBe(true);

    const small = await startFakeSlackApi({ maxTextLength: 4_000 });
    try {
      const smallClient = new WebClient("xoxb-small", { slackApiUrl: small.url, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
      const posted = await smallClient.chat.postMessage({ channel: "C0LONG", text: "short" });
      await expect(smallClient.chat.update({ channel: "C0LONG", ts: posted.ts!, text: "y".repeat(4_001) })).rejects.toSatisfy(
        (error) => slackError(error) === "msg_too_long",
      );
    } finally {
      await small.stop();
    }

    slack.api.script.fail("users.info", "user_not_found", { times: 1 });
    await expect(client.users.info({ user: "U0ADA" })).rejects.toSatisfy((error) => slackError(error) === "user_not_found");
    expect(await client.users.info({ user: "U0ADA" })).toMatchObject({
      ok: true,
      user: { id: "U0ADA", profile: { display_name: expect.any(String) } },
    });

    // conversations.info: a channel named after its id unless named, a DM with its person, nothing else.
    slack.api.addChannel({ id: "C0RENAMED", name: "launch-plans" });
    expect(await client.conversations.info({ channel: "C0GENERAL" })).toMatchObject({ channel: { name: "general", is_channel: true } });
    expect(await client.conversations.info({ channel: "C0RENAMED" })).toMatchObject({ channel: { name: "launch-plans" } });
    expect((await client.conversations.info({ channel: "D0ADA" })).channel).toMatchObject({ is_im: true, user: "U0ADA" });
    expect((await client.conversations.info({ channel: "D0ADA" })).channel?.name).toBeUndefined();
    await expect(client.conversations.info({ channel: "X1" })).rejects.toSatisfy((error) => slackError(error) === "channel_not_found");

    await client.reactions.add({ channel: "C0LONG", timestamp: "1700000000.000100", name: "eyes" });
    await expect(client.reactions.add({ channel: "C0LONG", timestamp: "1700000000.000100", name: "eyes" })).rejects.toSatisfy(
      (error) => slackError(error) === "already_reacted",
    );
    expect(slack.api.reactionsOn("C0LONG", "1700000000.000100")).toEqual(["eyes"]);
    await client.assistant.threads.setStatus({ channel_id: "C0LONG", thread_ts: "1700000000.000100", status: "is thinking..." });
    expect(slack.api.statusOf("C0LONG", "1700000000.000100")).toBe("is thinking...");
  });

  it("signs events the way Bolt verifies them, with Slack's envelope and retry headers", async () => {
    const capture = await startCapture();
    try {
      const mention = appMention({ channel: "C0SIGN", user: "U0ADA", text: `<@${FAKE_SLACK.botUserId}> what is up?` });
      await slack.sendEvent(capture.url, mention, { eventId: "Ev0RETRY", retryNum: 2 });
      await slack.sendEvent(capture.url, channelMessage({ channel: "C0SIGN", text: "hi" }), { badSignature: true });
      await slack.sendEvent(capture.url, mention, { timestamp: Math.floor(Date.now() / 1000) - 600 });

      const verify = (request: Captured) =>
        verifySlackRequest({
          signingSecret: slack.signingSecret,
          body: request.body,
          headers: {
            "x-slack-signature": String(request.headers["x-slack-signature"]),
            "x-slack-request-timestamp": Number(request.headers["x-slack-request-timestamp"]),
          },
        });
      const [good, bad, stale] = capture.requests;
      expect(() => verify(good!)).not.toThrow();
      expect(() => verify(bad!)).toThrow(/signature mismatch/);
      expect(() => verify(stale!)).toThrow(/stale/);

      expect(good!.headers).toMatchObject({
        "content-type": "application/json",
        "x-slack-retry-num": "2",
        "x-slack-retry-reason": "http_timeout",
      });
      expect(JSON.parse(good!.body)).toMatchObject({
        token: expect.any(String),
        team_id: "T0001",
        api_app_id: FAKE_SLACK.appId,
        type: "event_callback",
        event_id: "Ev0RETRY",
        event_time: expect.any(Number),
        authorizations: [{ team_id: "T0001", user_id: "U0BOT", is_bot: true }],
        event: {
          type: "app_mention",
          channel: "C0SIGN",
          user: "U0ADA",
          ts: mention.ts,
          event_ts: mention.ts,
          blocks: [{ type: "rich_text" }],
        },
      });
      // The user's message is now in Slack's history, once, however often it was delivered;
      // the forged one is not.
      expect(slack.api.messagesIn("C0SIGN").map((m) => m.text)).toEqual([mention.text]);

      expect(imMessage({ text: "dm" })).toMatchObject({ type: "message", channel_type: "im", channel: "D0ADA" });
      expect(botMessage({ text: "beep" })).toMatchObject({ subtype: "bot_message", bot_id: expect.any(String) });
      expect(messageChanged({ ts: mention.ts as string, text: "edited" })).toMatchObject({
        subtype: "message_changed",
        message: { ts: mention.ts, text: "edited" },
      });
    } finally {
      await capture.stop();
    }
  });

  it("posts slash commands as signed forms whose response_url records respond() posts", async () => {
    const capture = await startCapture();
    try {
      await slack.sendSlashCommand(capture.url, { command: "/agent", text: "status", channel_id: "C0CMD", user_id: "U0ADA" });
      const [request] = capture.requests;
      expect(request!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
      const form = Object.fromEntries(new URLSearchParams(request!.body));
      expect(Object.keys(form)).toEqual(
        expect.arrayContaining([
          "token",
          "team_id",
          "team_domain",
          "channel_id",
          "channel_name",
          "user_id",
          "user_name",
          "command",
          "text",
          "api_app_id",
          "response_url",
          "trigger_id",
        ]),
      );
      expect(form).toMatchObject({ command: "/agent", text: "status", channel_id: "C0CMD", user_id: "U0ADA" });
      expect(form.response_url!.startsWith(slack.api.origin)).toBe(true);

      await fetch(form.response_url!, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "only you", response_type: "ephemeral" }),
      });
      await fetch(form.response_url!, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "everyone", response_type: "in_channel" }),
      });
      const post = await slack.api.waitForResponse((p) => p.body.text === "everyone");
      expect(post.context).toMatchObject({ channel_id: "C0CMD", command: "/agent" });
      expect(slack.api.responses.map((p) => p.body.response_type)).toEqual(["ephemeral", "in_channel"]);
      expect(slack.api.messagesIn("C0CMD").map((m) => m.text)).toEqual(["everyone"]);
    } finally {
      await capture.stop();
    }
  });

  it("sends a button click as Slack does: a signed payload form over HTTP, an interactive envelope over Socket Mode", async () => {
    const message = slack.api.addMessage({
      channel: "C0CLICK",
      user: FAKE_SLACK.botUserId,
      bot_id: FAKE_SLACK.botId,
      text: "Go?",
      thread_ts: "1700000000.000100",
      blocks: [
        {
          type: "actions",
          block_id: "choice",
          elements: [{ type: "button", action_id: "go", value: "42", text: { type: "plain_text", text: "Go" } }],
        },
      ],
    });
    const payload = slack.blockActions({ message, action_id: "go", user: "U0BOB" });
    expect(payload).toMatchObject({
      type: "block_actions",
      user: { id: "U0BOB", username: "bob", name: "bob", team_id: FAKE_SLACK.teamId },
      team: { id: FAKE_SLACK.teamId },
      channel: { id: "C0CLICK", name: "general" },
      container: { type: "message", message_ts: message.ts, channel_id: "C0CLICK", is_ephemeral: false, thread_ts: "1700000000.000100" },
      message: { ts: message.ts, thread_ts: "1700000000.000100", text: "Go?", blocks: message.blocks },
      actions: [{ type: "button", action_id: "go", block_id: "choice", value: "42", text: { type: "plain_text", text: "Go" } }],
      trigger_id: expect.any(String),
      api_app_id: FAKE_SLACK.appId,
      token: FAKE_SLACK.verificationToken,
    });
    expect(String(payload.response_url).startsWith(slack.api.origin)).toBe(true);
    expect(() => slack.blockActions({ message, action_id: "stop" })).toThrow(/no button stop/);

    const capture = await startCapture();
    try {
      await slack.sendInteraction(capture.url, payload);
      const [request] = capture.requests;
      expect(request!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
      expect(() =>
        verifySlackRequest({
          signingSecret: slack.signingSecret,
          body: request!.body,
          headers: {
            "x-slack-signature": String(request!.headers["x-slack-signature"]),
            "x-slack-request-timestamp": Number(request!.headers["x-slack-request-timestamp"]),
          },
        }),
      ).not.toThrow();
      const form = new URLSearchParams(request!.body);
      expect([...form.keys()]).toEqual(["payload"]);
      expect(JSON.parse(form.get("payload")!)).toEqual(payload);
    } finally {
      await capture.stop();
    }

    const socketClient = new SocketModeClient({
      appToken: slack.appToken,
      clientOptions: { slackApiUrl: slack.apiUrl },
      logLevel: LogLevel.ERROR,
    });
    const seen: unknown[] = [];
    socketClient.on("interactive", async ({ ack, body }: { ack: () => Promise<void>; body: unknown }) => {
      seen.push(body);
      await ack();
    });
    try {
      await socketClient.start();
      const envelopeId = slack.pushInteraction(payload);
      await slack.socket.waitForAck(envelopeId);
      expect(seen).toEqual([payload]);
      expect(slack.socket.envelopes.at(-1)).toMatchObject({ type: "interactive", accepts_response_payload: false });
    } finally {
      await socketClient.disconnect();
    }
  });

  it("serves Socket Mode to the real SocketModeClient: hello, an events_api envelope, its ack", async () => {
    await expect(client.apiCall("apps.connections.open")).rejects.toSatisfy((error) => slackError(error) === "not_allowed_token_type");

    const socketClient = new SocketModeClient({
      appToken: slack.appToken,
      clientOptions: { slackApiUrl: slack.apiUrl },
      logLevel: LogLevel.ERROR,
    });
    const seen: { event: unknown; retry_num: unknown }[] = [];
    socketClient.on("app_mention", async ({ ack, event, retry_num }: { ack: () => Promise<void>; event: unknown; retry_num: unknown }) => {
      seen.push({ event, retry_num });
      await ack();
    });
    try {
      await socketClient.start();
      await slack.socket.waitForConnection(1);
      expect(slack.api.callsTo("apps.connections.open").at(-1)).toMatchObject({ token: slack.appToken, response: { ok: true } });

      const mention = appMention({ channel: "C0SOCK", text: "<@U0BOT> over the socket" });
      const envelopeId = slack.pushEvent(mention, { retryAttempt: 1, retryReason: "timeout" });
      const ack = await slack.socket.waitForAck(envelopeId);
      expect(ack.envelope_id).toBe(envelopeId);
      expect(seen).toEqual([{ event: mention, retry_num: 1 }]);
      expect(slack.socket.envelopes.at(-1)).toMatchObject({
        type: "events_api",
        accepts_response_payload: false,
        payload: { type: "event_callback", event: mention },
      });
    } finally {
      await socketClient.disconnect();
    }
  });
});
