import type { ChatCompletionRequest } from "@copilotkit/aimock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appMention, FAKE_SLACK, type FakeSlack, startFakeSlack } from "../fakes/slack/index.js";
import { startTcpProxy, type TcpProxy } from "../fakes/tcp-proxy.js";
import { scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { scratchPostgresUrl } from "../support/databases.js";
import { lastUserText } from "../support/scripted-llm.js";
import { waitFor } from "../support/wait.js";

const BOT = `<@${FAKE_SLACK.botUserId}>`;
const CHANNEL = "C0GENERAL";
const users = [{ id: "U0ADA", name: "ada", display_name: "ada" }];

/** The bot's finished messages in a thread once `count` are there and its 👀 is gone (the delivery is over). */
async function settled(slack: FakeSlack, threadTs: string, count: number) {
  const replies = () => slack.api.messagesIn(CHANNEL, threadTs).filter((m) => m.user === FAKE_SLACK.botUserId && m.stream !== "streaming");
  await waitFor(
    () => replies().length >= count && slack.api.reactionsOn(CHANNEL, threadTs).length === 0,
    10_000,
    `${count} replies in ${threadTs}`,
  );
  return replies().map((m) => m.text);
}

/** Failures that reach Slack through the real Bolt app: each says in the thread what went wrong, and a redelivery runs again. */
describe("Slack: a failed turn says so in its thread", () => {
  let slack: FakeSlack;
  let t: TestApp;
  let events: string;

  beforeAll(async () => {
    slack = await startFakeSlack({ users });
    t = await startTestApp({ ...slack.env("http"), LLM_TIMEOUT_MS: "1500" });
    events = `${t.app.url}/slack/events`;
  });
  afterAll(async () => {
    await t.stop();
    await slack.stop();
  });
  beforeEach(() => {
    slack.api.reset();
    t.llm.mock.clearRequests();
    scriptLlm(t.llm, (request: ChatCompletionRequest) => ({ content: `Answer to: ${lastUserText(request)}.` }));
  });

  it("says the model failed when it answers 500, and answers the same event delivered again", async () => {
    t.llm.mock.nextRequestError(500, { message: "upstream exploded for sk-test", type: "server_error" });
    const mention = appMention({ channel: CHANNEL, text: `${BOT} fail first` });
    await slack.sendEvent(events, mention, { eventId: "Ev0FAIL500" });
    expect(await settled(slack, mention.ts as string, 1)).toEqual([
      "⚠️ I could not answer: the model server is unreachable or failing. Please try again in a moment.",
    ]);

    expect((await slack.sendEvent(events, mention, { eventId: "Ev0FAIL500", retryNum: 1 })).status).toBe(200);
    expect(await settled(slack, mention.ts as string, 2)).toEqual([
      expect.stringContaining("unreachable or failing"),
      "Answer to: ada: fail first.",
    ]);
    expect(t.llm.mock.getRequests()).toHaveLength(2);
  });

  it("says the provider is rate-limiting on a 429", async () => {
    t.llm.mock.nextRequestError(429, { message: "Rate limit reached for sk-test", type: "rate_limit_error" });
    const mention = appMention({ channel: CHANNEL, text: `${BOT} too many` });
    await slack.sendEvent(events, mention);
    expect(await settled(slack, mention.ts as string, 1)).toEqual([
      "⚠️ I could not answer: the model provider is rate-limiting me. Please try again in a minute.",
    ]);
  });

  it("says the model timed out when it does not answer in time", async () => {
    t.llm.mock.clearFixtures();
    t.llm.mock.addFixture({ match: { predicate: () => true }, response: { content: "Too late." }, latency: 10_000 });
    const mention = appMention({ channel: CHANNEL, text: `${BOT} take forever` });
    await slack.sendEvent(events, mention);
    expect(await settled(slack, mention.ts as string, 1)).toEqual([
      "⚠️ I could not answer: the model took too long to respond (timed out). Please try again in a moment.",
    ]);
  });

  it("says it when Slack refuses the answer, and answers the same event delivered again", async () => {
    // The answer comes whole at once, so it is posted as one message: the post Slack refuses.
    slack.api.script.fail("chat.postMessage", "internal_error");
    const mention = appMention({ channel: CHANNEL, text: `${BOT} refused once` });
    await slack.sendEvent(events, mention, { eventId: "Ev0REFUSED" });
    await waitFor(
      () => slack.api.reactionsOn(CHANNEL, mention.ts as string).length === 0 && slack.api.callsTo("reactions.remove").length > 0,
    );
    const said = slack.api.messagesIn(CHANNEL, mention.ts as string).filter((m) => m.user === FAKE_SLACK.botUserId);
    expect(said.map((m) => m.text)).toContain(
      "⚠️ I could not answer: something went wrong on my side (an internal error). Please try again in a moment.",
    );

    await slack.sendEvent(events, mention, { eventId: "Ev0REFUSED", retryNum: 1 });
    await waitFor(() => t.llm.mock.getRequests().length === 2 && slack.api.reactionsOn(CHANNEL, mention.ts as string).length === 0);
    const last = slack.api.messagesIn(CHANNEL, mention.ts as string).at(-1);
    expect(last).toMatchObject({ user: FAKE_SLACK.botUserId, text: "Answer to: ada: refused once." });
  });
});

describe("Slack: a database that goes down mid-turn", () => {
  let slack: FakeSlack;
  let t: TestApp;
  let proxy: TcpProxy;
  let scratch: Awaited<ReturnType<typeof scratchPostgresUrl>>;

  beforeAll(async () => {
    slack = await startFakeSlack({ users });
    scratch = await scratchPostgresUrl();
    const url = new URL(scratch.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(proxy.port);
    t = await startTestApp({ ...slack.env("http"), DATABASE_URL: url.toString(), DATABASE_STATEMENT_TIMEOUT_MS: "1000" });
  });
  afterAll(async () => {
    // The app first: a connection it opened to a closed proxy would be refused inside postgres.js,
    // whose fetch of array types then rejects with nobody to handle it. A frozen proxy only hangs.
    await t.stop();
    await proxy.stop();
    await slack.stop();
    await scratch.drop();
  });

  it("says in the thread that the turn failed", async () => {
    // The database stops answering while the model writes the answer: it cannot be stored.
    scriptLlm(t.llm, () => {
      proxy.freeze();
      return { content: "An answer that cannot be stored." };
    });
    const mention = appMention({ channel: CHANNEL, text: `${BOT} store this` });
    await slack.sendEvent(events(t), mention);
    expect(await settled(slack, mention.ts as string, 1)).toEqual([
      "⚠️ I could not answer: something went wrong on my side (an internal error). Please try again in a moment.",
    ]);
  });
});

function events(t: TestApp): string {
  return `${t.app.url}/slack/events`;
}
