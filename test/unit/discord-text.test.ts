import { describe, expect, it } from "vitest";
import { discordTextAsWritten } from "../../src/adapters/discord/text.js";

const BOT = "1102565081088000002";
const BOT_ROLE = "1102927468953600101";
const lookup = (entries: Record<string, string>) => (id: string) => entries[id];
const names = {
  user: lookup({ "80351110224678912": "Nelly", "540682695475200001": "Alice" }),
  role: lookup({ "165511591545143296": "Moderators" }),
  channel: lookup({ "103735883630395392": "general" }),
};
const self = { userId: BOT, roleIds: new Set([BOT_ROLE]) };

/** Content as Discord's message formatting reference writes its markup. */
describe("Discord text as a person reads it", () => {
  it("names users, nicknames included, channels and roles", () => {
    expect(discordTextAsWritten("<@80351110224678912> and <@!540682695475200001>, see <#103735883630395392>", names)).toBe(
      "@Nelly and @Alice, see #general",
    );
    expect(discordTextAsWritten("ping <@&165511591545143296> please", names)).toBe("ping @Moderators please");
  });

  it("shows what cannot be named as Discord's client does", () => {
    expect(discordTextAsWritten("<@111111111111111111> in <#222222222222222222> for <@&333333333333333333>", names)).toBe(
      "@unknown-user in #unknown for @deleted-role",
    );
  });

  it("leaves out the bot's user and role mentions and the spaces around them", () => {
    expect(discordTextAsWritten(`<@${BOT}> what is the plan?`, names, self)).toBe("what is the plan?");
    expect(discordTextAsWritten(`<@!${BOT}> what is the plan?`, names, self)).toBe("what is the plan?");
    expect(discordTextAsWritten(`<@&${BOT_ROLE}> summarise this for <@540682695475200001>`, names, self)).toBe("summarise this for @Alice");
    expect(discordTextAsWritten(`thanks <@${BOT}>!`, names, self)).toBe("thanks!");
  });

  it("shows emoji by name, timestamps in UTC, commands and bracketed links", () => {
    expect(discordTextAsWritten("nice <:mmLol:216154654256398347> <a:b1nzy:392938283556143104>")).toBe("nice :mmLol: :b1nzy:");
    expect(discordTextAsWritten("at <t:1618953630> (<t:1618953630:R>)")).toBe("at 2021-04-20 21:20 UTC (2021-04-20 21:20 UTC)");
    expect(discordTextAsWritten("try </airhorn:816437322781949972>")).toBe("try /airhorn");
    expect(discordTextAsWritten("read <https://example.com/a?b=1&c=2> first")).toBe("read https://example.com/a?b=1&c=2 first");
  });

  it("keeps everything else as typed: @everyone, escapes, code and HTML-looking text", () => {
    const typed = "@everyone look: `a < b && c > d` and \\<@123> and <b>bold?</b>\n```\n  x = 1\n```";
    expect(discordTextAsWritten(typed, names, self)).toBe(typed);
  });
});
