import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ChatCompletionRequest } from "@copilotkit/aimock";
import type { APIAttachment } from "discord-api-types/v10";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAKE_DISCORD, type FakeDiscord, type FakeDiscordMessage } from "../fakes/discord/index.js";
import { TINY_PNG } from "../fakes/file-host.js";
import { scriptLlm, type TestApp } from "../support/app.js";
import { type DiscordApp, startDiscordApp } from "../support/discord-app.js";

const CHANNEL = FAKE_DISCORD.channelId;
const PNG_URL = `data:image/png;base64,${TINY_PNG.toString("base64")}`;

type Part = { type: string; text?: string; image_url?: { url: string } };

const requests = (t: TestApp) => t.llm.mock.getRequests().map((entry) => entry.body as ChatCompletionRequest);

function lastUser(request: ChatCompletionRequest): { text: string; images: string[] } {
  const user = request.messages.findLast((message) => message.role === "user")!;
  const content = user.content as string | Part[];
  if (typeof content === "string") return { text: content, images: [] };
  return {
    text: content.flatMap((part) => (part.type === "text" ? [part.text ?? ""] : [])).join(""),
    images: content.flatMap((part) => (part.type === "image_url" ? [part.image_url!.url] : [])),
  };
}

const allImages = (request: ChatCompletionRequest) =>
  request.messages.flatMap((message) =>
    Array.isArray(message.content) ? (message.content as Part[]).filter((part) => part.type === "image_url") : [],
  );

describe("Discord attachments (discord.js, attachments served by the fake Discord)", () => {
  let discord: FakeDiscord;
  let t: TestApp;
  let app: DiscordApp | undefined;

  beforeAll(async () => {
    app = await startDiscordApp();
    ({ discord, t } = app);
  });
  afterAll(() => app?.stop());
  beforeEach(() => {
    discord.rest.reset();
    t.llm.mock.clearRequests();
    scriptLlm(t.llm, () => ({ content: "Seen." }));
  });

  async function botReplies(channelId: string, count = 1): Promise<FakeDiscordMessage[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const replies = discord.botMessagesIn(channelId);
      const settled = replies.length >= count && replies.every((m) => !m.content.endsWith(" …") && (m.flags & 128) === 0);
      if (settled || Date.now() > deadline) return replies;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const mention = (content: string, attachments: APIAttachment[]) =>
    discord.sendMessage({ channel_id: CHANNEL, guild_id: FAKE_DISCORD.guildId, content, attachments, mentionBot: true });

  it("shows the model an attached image as a data: URL image part", async () => {
    const image = discord.rest.hostAttachment({ filename: "chart.png", bytes: TINY_PNG, content_type: "image/png" });
    const sent = mention("what does this chart say?", [image]);
    const [reply] = await botReplies(sent.id);
    expect(reply?.content).toBe("Seen.");
    const user = lastUser(requests(t)[0]!);
    expect(user.images).toEqual([PNG_URL]);
    expect(user.text).toBe(`Alice: what does this chart say?\n\n[image: chart.png, ${TINY_PNG.length} B]`);
    // The CDN link is signed; no credentials go with it.
    expect(discord.rest.fileRequests.map((r) => r.authorization)).toEqual([undefined]);
  });

  it("inlines a text file, and answers a message that is only a file", async () => {
    const csv = discord.rest.hostAttachment({
      filename: "sales.csv",
      bytes: "month,total\nMay,12",
      content_type: "text/csv; charset=utf-8",
    });
    const sent = mention("", [csv]);
    await botReplies(sent.id);
    expect(lastUser(requests(t)[0]!).text).toBe(
      'Alice: (no text)\n\n<file name="sales.csv" author="Alice" type="text/csv" size="18 B">month,total\nMay,12</file>',
    );
  });

  it("skips a file too big and one redirected off Discord's hosts, and says so", async () => {
    const seen: string[] = [];
    const thief: Server = createServer((req, res) => {
      seen.push(req.url ?? "");
      res.writeHead(200, { "content-type": "image/png" }).end(TINY_PNG);
    });
    await new Promise<void>((resolve) => thief.listen(0, "127.0.0.1", resolve));
    try {
      const away = `http://127.0.0.1:${(thief.address() as AddressInfo).port}/grab.png`;
      const huge = discord.rest.hostAttachment({
        filename: "huge.gif",
        bytes: Buffer.alloc(6 * 1024 * 1024, 7),
        content_type: "image/gif",
        size: 10,
      });
      const sneaky = discord.rest.hostAttachment({ filename: "sneaky.png", bytes: TINY_PNG, content_type: "image/png", redirectTo: away });
      const sent = mention("look at these", [huge, sneaky]);
      const [reply] = await botReplies(sent.id);
      expect(reply?.content).toContain("Seen.");
      expect(reply?.content).toContain("`huge.gif` (over the 5 MB limit for images)");
      expect(reply?.content).toContain("`sneaky.png` (not fetched: its download was redirected away from the platform's file host)");
      expect(allImages(requests(t)[0]!)).toEqual([]);
      expect(seen).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => thief.close(() => resolve()));
    }
  });

  it("does not send an earlier message's image again in a later turn", async () => {
    const image = discord.rest.hostAttachment({ filename: "diagram.webp", bytes: TINY_PNG, content_type: "image/webp" });
    const sent = mention("explain the diagram", [image]);
    await botReplies(sent.id);
    discord.sendMessage({ channel_id: sent.id, guild_id: FAKE_DISCORD.guildId, content: "and the left part?" });
    await botReplies(sent.id, 2);
    const [first, second] = requests(t);
    // Declared WebP, sent as what its bytes are.
    expect(lastUser(first!).images).toEqual([PNG_URL]);
    expect(allImages(second!)).toEqual([]);
    expect(second!.messages.map((message) => message.content)).toContain(
      `Alice: explain the diagram\n\n[image: diagram.webp, ${TINY_PNG.length} B]`,
    );
  });
});
