import { afterEach, describe, expect, it } from "vitest";
import { type LocalBot, startLocalBot } from "../support/local-bot.js";
import { lastUserText, ScriptedLlm } from "../support/scripted-llm.js";

/** A model that stores whatever follows "remember:" with the remember tool, then says "Noted." */
const teachingLlm = () =>
  new ScriptedLlm({
    always: (request) => {
      const fact = /remember: (.+)/.exec(lastUserText(request));
      if (fact && !request.messages.some((message) => message.role === "tool"))
        return { toolCalls: [{ name: "remember", arguments: { fact: fact[1] } }] };
      return "Noted.";
    },
  });

describe("a channel whose memory is full", () => {
  let bot: LocalBot | undefined;
  afterEach(async () => {
    await bot?.close();
    bot = undefined;
  });

  it("tells the thread that taught a fact which older fact it forgot, and /memory restores it", async () => {
    bot = await startLocalBot({ llm: teachingLlm(), env: { MEMORY_CAPACITY: "2" } });
    const first = await bot.chat("ops", "remember: The wiki lives on Confluence");
    const second = await bot.chat("ops", "remember: Payments are owned by Dana");
    expect(first!.reply!.text).toBe("Noted.");
    // The turn's own record went to make room, not the first fact: nothing to tell.
    expect(second!.reply!.text).toBe("Noted.");

    const third = await bot.chat("ops", "remember: Releases ship on Thursdays");
    const note = /forgot an older fact \(#(\d+)\)/.exec(third!.reply!.text);
    expect(third!.reply!.text).toMatch(/^Noted\.\n\n_My memory of this channel is full/);
    expect(note).not.toBeNull();
    const id = note![1]!;

    expect(await bot.command("ops", "/memory", "")).toMatch(/\(2 of 2 used, most valuable first\)/);
    const forgotten = await bot.command("ops", "/memory", "forgotten");
    expect(forgotten).toContain(`#${id} [semantic] The wiki lives on Confluence`);
    expect(await bot.command("ops", "/memory", "restore 999999")).toMatch(/no forgotten memory #999999/);
    expect(await bot.command("ops", "/memory", `restore #${id}`)).toContain(`Restored memory #${id}`);
    expect(await bot.command("ops", "/memory", "forgotten")).toMatch(/No taught fact of this channel was forgotten/);
    expect(await bot.command("ops", "/memory", "search wiki")).toContain("The wiki lives on Confluence");
    // The next thread is not told again.
    expect((await bot.chat("ops", "hello"))!.reply!.text).toBe("Noted.");
  });
});
