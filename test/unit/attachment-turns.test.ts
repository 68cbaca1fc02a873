import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { ChatMessage, CompletionRequest } from "../../src/agents/llm/types.js";
import type { Attachment } from "../../src/core/attachment.js";
import { toolApprovals } from "../../src/db/schema.js";
import { TINY_PNG } from "../fakes/file-host.js";
import { type LocalBot, startLocalBot } from "../support/local-bot.js";
import { ScriptedLlm } from "../support/scripted-llm.js";
import { testTool } from "../support/tools.js";

/** Turns with attachments through the router and the assistant, in process: what is stored, and what a paused turn keeps. */

const image = (name: string): Attachment => ({ name, mimeType: "image/png", size: TINY_PNG.length, download: async () => TINY_PNG });
const note = (name: string): Attachment => ({ name, mimeType: "text/plain", size: 5, download: async () => Buffer.from("hello") });

const imagesIn = (messages: ChatMessage[]) => messages.flatMap((message) => (message.role === "user" ? (message.images ?? []) : []));

describe("turns with attachments", () => {
  let bot: LocalBot | undefined;
  afterEach(async () => {
    await bot?.close();
    bot = undefined;
  });

  const send = (bot: LocalBot, text: string, attachments: Attachment[], thread?: string) =>
    bot.router.handleMessage(
      {
        platform: "web",
        eventId: randomUUID(),
        channel: "ops",
        thread,
        author: { id: "ada", name: "ada" },
        text,
        attachments,
        receivedAt: new Date(),
      },
      bot.poster,
    );

  it("stores the text that was read and the image's marker with the message, never the bytes", async () => {
    const seen: CompletionRequest[] = [];
    bot = await startLocalBot({
      llm: new ScriptedLlm({
        always: (request: CompletionRequest) => {
          seen.push(request);
          return "Got it.";
        },
      }),
    });
    const answered = await send(bot, "see attached", [image("shot.png"), note("a.txt")]);
    expect(answered?.reply.text).toBe("Got it.");
    expect(imagesIn(seen[0]!.messages)).toHaveLength(1);
    const stored = await bot.conversations.message(answered!.userMessageId);
    expect(stored?.content).toBe(
      `see attached\n\n[image: shot.png, ${TINY_PNG.length} B]\n<file name="a.txt" author="ada" type="text/plain" size="5 B">hello</file>`,
    );
    expect(stored?.content).not.toContain("base64");

    await send(bot, "and again?", [], answered!.thread);
    expect(imagesIn(seen[1]!.messages)).toEqual([]);
  });

  it("keeps no image bytes in a turn paused for approval, and goes on after the decision", async () => {
    const tool = testTool({
      name: "post_it",
      description: "Posts the picture somewhere.",
      risk: "external",
      input: z.object({}),
      run: async () => ({ posted: true }),
    });
    const seen: CompletionRequest[] = [];
    bot = await startLocalBot({
      tools: [tool],
      llm: new ScriptedLlm({
        always: (request: CompletionRequest) => {
          seen.push(request);
          return request.messages.some((message) => message.role === "tool")
            ? "Posted."
            : { content: "", toolCalls: [{ name: "post_it", arguments: {} }] };
        },
      }),
    });
    const paused = await send(bot, "post this", [image("shot.png")]);
    expect(paused?.pendingApproval?.tool).toBe("post_it");
    expect(imagesIn(seen[0]!.messages)).toHaveLength(1);
    const [row] = await bot.database.db.select().from(toolApprovals).where(eq(toolApprovals.id, paused!.pendingApproval!.id));
    expect(JSON.stringify(row?.turn)).not.toContain("data:image");
    expect(JSON.stringify(row?.turn)).toContain(`[image: shot.png, ${TINY_PNG.length} B]`);

    const decided = await bot.decide(paused!.pendingApproval!.id, true);
    if (decided.status !== "decided") throw new Error(decided.status);
    expect((await decided.turn).reply.text).toBe("Posted.");
    expect(imagesIn(seen.at(-1)!.messages)).toEqual([]);
  });
});
