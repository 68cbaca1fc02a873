import { describe, expect, it } from "vitest";
import { SlackChannels } from "../../src/adapters/slack/channels.js";
import { SlackMessageText } from "../../src/adapters/slack/message-text.js";
import { SlackPeople } from "../../src/adapters/slack/people.js";
import { decodeSlackEntities, mentionsSlackUser, slackReferences, slackTextAsWritten } from "../../src/adapters/slack/text.js";

const BOT = "U0BOT";
const names = {
  users: new Map([
    ["U024BE7LH", "Ada Lovelace"],
    ["U0BOB", "bob"],
  ]),
  channels: new Map([["C024BE7LR", "general"]]),
};

/** Message texts as Slack's formatting reference and its events show them. */
describe("Slack text as a person reads it", () => {
  it("decodes the three entities Slack escapes, once", () => {
    expect(slackTextAsWritten("if a &lt; b &amp;&amp; b &gt; c")).toBe("if a < b && b > c");
    // A person who typed "&lt;" literally: Slack sends its & escaped.
    expect(slackTextAsWritten("write &amp;lt; for <")).toBe("write &lt; for <");
    expect(decodeSlackEntities("&quot;x&quot; &#39;y&#39;")).toBe("&quot;x&quot; &#39;y&#39;");
    expect(slackTextAsWritten("```\nif (a &lt; b) {\n    return a &amp; b;\n}\n```")).toBe("```\nif (a < b) {\n    return a & b;\n}\n```");
  });

  it("names mentioned users by display name, falling back to the markup's name, then the id", () => {
    expect(slackTextAsWritten("Hey <@U024BE7LH>, did you see my file?", names)).toBe("Hey @Ada Lovelace, did you see my file?");
    // Older payloads carry the handle after a bar; the display name still wins when known.
    expect(slackTextAsWritten("ping <@U0BOB|bobby>", names)).toBe("ping @bob");
    expect(slackTextAsWritten("ping <@U0NEW|newbie>", names)).toBe("ping @newbie");
    expect(slackTextAsWritten("ping <@W0ENTERPRISE>", names)).toBe("ping @W0ENTERPRISE");
  });

  it("names channels from the markup, or from a lookup when the markup has no name", () => {
    expect(slackTextAsWritten("Why not join <#C024BE7LR|general>?", names)).toBe("Why not join #general?");
    expect(slackTextAsWritten("see <#C024BE7LR> and <#C0UNKNOWN>", names)).toBe("see #general and #C0UNKNOWN");
  });

  it("shows special mentions, user groups and dates as a client does", () => {
    expect(slackTextAsWritten("<!here> standup in 5")).toBe("@here standup in 5");
    expect(slackTextAsWritten("<!channel> and <!everyone>, <!here|here>")).toBe("@channel and @everyone, @here");
    expect(slackTextAsWritten("cc <!subteam^SAZ94GDB8|@platform-team>")).toBe("cc @platform-team");
    expect(slackTextAsWritten("cc <!subteam^SAZ94GDB8>")).toBe("cc @SAZ94GDB8");
    expect(slackTextAsWritten("<!date^1392734382^Posted {date_num} {time_secs}|Posted 2014-02-18 6:39:42 AM PST>")).toBe(
      "Posted 2014-02-18 6:39:42 AM PST",
    );
    expect(slackTextAsWritten("due <!date^1392734382^{date_short}^https://example.com/|Feb 18, 2014 PST>")).toBe("due Feb 18, 2014 PST");
    expect(slackTextAsWritten("due <!date^1392734382^{date}>")).toBe("due 2014-02-18T14:39:42.000Z");
  });

  it("shows links as their label and target, or the target alone", () => {
    expect(slackTextAsWritten("<http://www.example.com|This message *is* a link>")).toBe(
      "This message *is* a link (http://www.example.com)",
    );
    expect(slackTextAsWritten("read <https://docs.example.com/a?b=1&amp;c=2>")).toBe("read https://docs.example.com/a?b=1&c=2");
    // What Slack makes of a bare domain typed in a message.
    expect(slackTextAsWritten("on <http://example.com|example.com> now")).toBe("on example.com now");
    expect(slackTextAsWritten("mail <mailto:bob@example.com|bob@example.com>")).toBe("mail bob@example.com");
    expect(slackTextAsWritten("<mailto:bob@example.com|Email Bob Roberts>")).toBe("Email Bob Roberts (bob@example.com)");
    expect(slackTextAsWritten("<https://x.example/?q=a|a &lt;b&gt; label>")).toBe("a <b> label (https://x.example/?q=a)");
  });

  it("leaves out the bot's own mentions and the spaces around them", () => {
    expect(slackTextAsWritten(`<@${BOT}> what is the plan?`, names, BOT)).toBe("what is the plan?");
    expect(slackTextAsWritten(`what do you think <@${BOT}>`, names, BOT)).toBe("what do you think");
    expect(slackTextAsWritten(`ask <@${BOT}> about <@U0BOB>`, names, BOT)).toBe("ask about @bob");
    expect(slackTextAsWritten(`thanks <@${BOT}|quorum>, great`, names, BOT)).toBe("thanks, great");
    expect(slackTextAsWritten(`<@${BOT}>\n    indented code`, names, BOT)).toBe("indented code");
    expect(slackTextAsWritten(`<@${BOT}>`, names, BOT)).toBe("");
  });

  it("says which names to look up, once each, never the bot's", () => {
    const text = `<@${BOT}> tell <@U0BOB> and <@U0BOB|bob> about <#C1|named> and <#C2>, <!here>`;
    expect(slackReferences(text, BOT)).toEqual({ users: ["U0BOB"], channels: ["C2"] });
    expect(mentionsSlackUser(text, BOT)).toBe(true);
    expect(mentionsSlackUser("<@U0BOTTOM> hi", BOT)).toBe(false);
    expect(mentionsSlackUser(`<@${BOT}|quorum> hi`, BOT)).toBe(true);
  });
});

describe("Slack message text with names from users.info and conversations.info", () => {
  it("looks each name up once within the TTL and waits for none longer than its bound", async () => {
    const userCalls: string[] = [];
    const channelCalls: string[] = [];
    const users = {
      info: async ({ user }: { user: string }) => {
        userCalls.push(user);
        if (user === "U0SLOW") await new Promise((resolve) => setTimeout(resolve, 500));
        return { ok: true, user: { id: user, name: user.toLowerCase(), profile: { display_name: `${user.slice(2).toLowerCase()}!` } } };
      },
    };
    const conversations = {
      info: async ({ channel }: { channel: string }) => {
        channelCalls.push(channel);
        if (channel.startsWith("D")) return { ok: true, channel: { id: channel, is_im: true, user: "U0ADA" } };
        if (channel === "C0PRIVATE") throw new Error("An API error occurred: channel_not_found");
        return { ok: true, channel: { id: channel, name: channel.slice(2).toLowerCase() } };
      },
    };
    const text = new SlackMessageText(new SlackPeople(users as never), new SlackChannels(conversations as never), 100);
    expect(await text.read("<@U0ADA> in <#C0GENERAL>, <@U0SLOW|slowpoke> in <#C0PRIVATE>", BOT)).toBe(
      "@ada! in #general, @slowpoke in #C0PRIVATE",
    );
    expect(await text.read("<@U0ADA> again in <#C0GENERAL>", BOT)).toBe("@ada! again in #general");
    expect(userCalls).toEqual(["U0ADA", "U0SLOW"]);
    expect(await text.channelName("C0GENERAL")).toBe("general");
    expect(await text.channelName("D0ADA")).toBeUndefined();
    expect(await text.channelName("C0PRIVATE")).toBeUndefined();
    // A failed lookup is kept for a while too, so a missing scope does not cost a call per message.
    expect(channelCalls).toEqual(["C0GENERAL", "C0PRIVATE", "D0ADA"]);
    // The slow lookup went on and filled the cache for the next message.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await text.read("<@U0SLOW>", BOT)).toBe("@slow!");
  });
});
