import type { ChatCompletionRequest } from "@copilotkit/aimock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAKE_DISCORD, type FakeDiscord } from "../fakes/discord/index.js";
import { scriptLlm, type TestApp } from "../support/app.js";
import { type DiscordApp, startDiscordApp } from "../support/discord-app.js";
import { lastUserText } from "../support/scripted-llm.js";
import { waitFor } from "../support/wait.js";

/** Model failures that reach Discord through the real discord.js client: each says in the thread what went wrong. */
describe("Discord: a failed turn says so in its thread", () => {
  let app: DiscordApp | undefined;
  let discord: FakeDiscord;
  let t: TestApp;

  beforeAll(async () => {
    app = await startDiscordApp({ LLM_TIMEOUT_MS: "1500" });
    ({ discord, t } = app);
  });
  afterAll(() => app?.stop());
  beforeEach(() => {
    discord.rest.reset();
    t.llm.mock.clearRequests();
    scriptLlm(t.llm, (request: ChatCompletionRequest) => ({ content: `Answer to: ${lastUserText(request)}.` }));
  });

  const mention = (text: string) =>
    discord.sendMessage({ channel_id: FAKE_DISCORD.channelId, guild_id: FAKE_DISCORD.guildId, content: text, mentionBot: true });

  /** The bot's finished messages in a thread once there are `count`. */
  async function replies(thread: string, count: number) {
    const finished = () => discord.botMessagesIn(thread).filter((m) => !m.content.endsWith(" …"));
    await waitFor(() => finished().length >= count, 10_000, `${count} replies in ${thread}`);
    return finished().map((m) => m.content);
  }

  it("says the model failed when it answers 500, and answers the same message delivered again after a restart", async () => {
    t.llm.mock.nextRequestError(500, { message: "upstream exploded for sk-test", type: "server_error" });
    const sent = mention("fail first");
    expect(await replies(sent.id, 1)).toEqual([
      "⚠️ I could not answer: the model server is unreachable or failing. Please try again in a moment.",
    ]);
    // discord.js drops a MESSAGE_CREATE of a message it holds; a new process (or a resumed session) does not.
    await t.restart();
    discord.gateway.dispatch("MESSAGE_CREATE", sent);
    expect(await replies(sent.id, 2)).toEqual([expect.stringContaining("unreachable or failing"), "Answer to: Alice: fail first."]);
    expect(t.llm.mock.getRequests()).toHaveLength(2);
  });

  it("says the provider is rate-limiting on a 429", async () => {
    t.llm.mock.nextRequestError(429, { message: "Rate limit reached for sk-test", type: "rate_limit_error" });
    const sent = mention("too many");
    expect(await replies(sent.id, 1)).toEqual([
      "⚠️ I could not answer: the model provider is rate-limiting me. Please try again in a minute.",
    ]);
  });

  it("says the model timed out when it does not answer in time", async () => {
    t.llm.mock.clearFixtures();
    t.llm.mock.addFixture({ match: { predicate: () => true }, response: { content: "Too late." }, latency: 10_000 });
    const sent = mention("take forever");
    expect(await replies(sent.id, 1)).toEqual([
      "⚠️ I could not answer: the model took too long to respond (timed out). Please try again in a moment.",
    ]);
  });
});
