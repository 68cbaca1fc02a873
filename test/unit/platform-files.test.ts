import { describe, expect, it } from "vitest";
import { discordAttachments } from "../../src/adapters/discord/attachments.js";
import { platformHosts } from "../../src/adapters/file-download.js";
import { slackMessageEvent } from "../../src/adapters/slack/events.js";
import { SLACK_FILE_HOSTS, slackAttachments } from "../../src/adapters/slack/files.js";
import { DownloadError } from "../../src/core/attachment.js";

/**
 * Payloads as the platforms document them, decoded into attachments. Only what the attachment
 * declares is checked here; downloads run against loopback fakes in test/e2e/.
 */

// Slack's file object example (https://api.slack.com/types/file), with the elided URLs completed
// as Slack writes them (files.slack.com/files-pri/TEAM-FILE/NAME).
const SLACK_DOC_FILE = {
  id: "F0S43PZDF",
  created: 1531763342,
  timestamp: 1531763342,
  name: "tedair.gif",
  title: "tedair.gif",
  mimetype: "image/gif",
  filetype: "gif",
  pretty_type: "GIF",
  user: "U061F7AUR",
  editable: false,
  size: 137531,
  mode: "hosted",
  is_external: false,
  external_type: "",
  is_public: true,
  public_url_shared: false,
  display_as_bot: false,
  username: "",
  url_private: "https://files.slack.com/files-pri/T061EG9R6-F0S43PZDF/tedair.gif",
  url_private_download: "https://files.slack.com/files-pri/T061EG9R6-F0S43PZDF/download/tedair.gif",
  thumb_64: "https://files.slack.com/files-tmb/T061EG9R6-F0S43PZDF-0a3a1a3a1a/tedair_64.png",
  thumb_360: "https://files.slack.com/files-tmb/T061EG9R6-F0S43PZDF-0a3a1a3a1a/tedair_360.png",
  thumb_360_w: 176,
  thumb_360_h: 226,
  original_w: 176,
  original_h: 226,
  permalink: "https://example.slack.com/files/U061F7AUR/F0S43PZDF/tedair.gif",
  comments_count: 0,
  is_starred: false,
  channels: ["C0T8SE4AU"],
  groups: [],
  ims: [],
  has_rich_preview: false,
};

// A `message` event with subtype file_share carrying a snippet, as Slack delivers it (the event of
// an event_callback; shape of the Events API `message` event with `files`).
const SLACK_FILE_SHARE_EVENT = {
  type: "message",
  text: "message message message",
  files: [
    {
      id: "F04EEHX1EES",
      created: 1670631527,
      timestamp: 1670631527,
      name: "namenamename.txt",
      title: "namenamename.txt",
      mimetype: "text/plain",
      filetype: "text",
      pretty_type: "Plain Text",
      user: "U043H11ES4V",
      user_team: "T043DB835ML",
      editable: true,
      size: 12,
      mode: "snippet",
      is_external: false,
      external_type: "",
      is_public: false,
      public_url_shared: false,
      display_as_bot: false,
      username: "",
      url_private: "https://files.slack.com/files-pri/T043DB835ML-F04EEHX1EES/namenamename.txt",
      url_private_download: "https://files.slack.com/files-pri/T043DB835ML-F04EEHX1EES/download/namenamename.txt",
      permalink: "https://jadeapptesting.slack.com/files/U043H11ES4V/F04EEHX1EES/namenamename.txt",
      preview: "hug a kitten",
      lines: 1,
      lines_more: 0,
      preview_is_truncated: false,
      has_rich_preview: false,
      file_access: "visible",
    },
    // In a Slack Connect channel the file's details come only from files.info.
    { id: "F12345678", mode: "file_access", file_access: "check_file_info", created: 0, timestamp: 0, user: "" },
  ],
  upload: true,
  user: "U043H11ES4V",
  display_as_bot: false,
  ts: "1670631527.874149",
  client_msg_id: "a5a11822-d14e-4621-992b-32d561648aa0",
  channel: "D0442US94JD",
  subtype: "file_share",
  event_ts: "1670631527.874149",
  channel_type: "im",
};

// Discord's example image attachment (https://discord.com/developers/docs/resources/message#attachment-object).
const DISCORD_DOC_ATTACHMENT = {
  id: "1198292395519909948",
  filename: "2024-01-07_23-28-19.png",
  size: 10358,
  url: "https://cdn.discordapp.com/attachments/826934811846377545/1198292395519909948/2024-01-07_23-28-19.png?ex=65be5fc2&is=65abeac2&hm=b4a6d3c271e28969e5ae836c776f3597ceda7b326c24949f30b43a29a7791cde&",
  proxy_url:
    "https://media.discordapp.net/attachments/826934811846377545/1198292395519909948/2024-01-07_23-28-19.png?ex=65be5fc2&is=65abeac2&hm=b4a6d3c271e28969e5ae836c776f3597ceda7b326c24949f30b43a29a7791cde&",
  width: 144,
  height: 127,
  content_type: "image/png",
  placeholder: "x/cBBoAnqGaGeIeAeaNXmEeEqXyPXvU=",
  placeholder_version: 1,
};

const access = { botToken: "xoxb-test", apiUrl: "https://slack.com/api/" };

describe("Slack files", () => {
  it("reads the documented file object as an attachment with its declared type and size", () => {
    const [gif] = slackAttachments([SLACK_DOC_FILE], access);
    expect(gif).toMatchObject({ name: "tedair.gif", mimeType: "image/gif", size: 137531 });
    expect(gif!.unavailable).toBeUndefined();
  });

  it("keeps a file_share event's files, naming the ones Slack gives no link to", () => {
    const event = slackMessageEvent.parse(SLACK_FILE_SHARE_EVENT);
    expect(event.subtype).toBe("file_share");
    const [snippet, connect] = slackAttachments(event.files, access);
    expect(snippet).toMatchObject({ name: "namenamename.txt", mimeType: "text/plain", size: 12 });
    expect(connect).toMatchObject({ name: "F12345678", unavailable: "Slack gave no link to it" });
  });

  it("leaves out what is not a file object instead of dropping the event", () => {
    const event = slackMessageEvent.parse({ ...SLACK_FILE_SHARE_EVENT, files: [42, { name: "no id" }, SLACK_DOC_FILE] });
    expect(slackAttachments(event.files, access).map((file) => file.name)).toEqual(["tedair.gif"]);
  });

  it("says why external, deleted and plan-hidden files cannot be read, and never tries", async () => {
    const files = slackAttachments(
      [
        { ...SLACK_DOC_FILE, id: "F1", name: "doc.gdoc", mode: "external", is_external: true },
        { id: "F2", mode: "tombstone" },
        { ...SLACK_DOC_FILE, id: "F3", mode: "hidden_by_limit" },
      ],
      access,
    );
    expect(files.map((file) => file.unavailable)).toEqual([
      "it is stored outside Slack",
      "it was deleted",
      "the workspace's plan hides it",
    ]);
    await expect(files[0]!.download({ maxBytes: 10 })).rejects.toBeInstanceOf(DownloadError);
  });
});

describe("Discord attachments", () => {
  it("reads the documented attachment object as discord.js holds it", () => {
    const [image] = discordAttachments(
      [
        {
          name: DISCORD_DOC_ATTACHMENT.filename,
          contentType: DISCORD_DOC_ATTACHMENT.content_type,
          size: 10358,
          url: DISCORD_DOC_ATTACHMENT.url,
        },
      ],
      "https://discord.com/api",
    );
    expect(image).toMatchObject({ name: "2024-01-07_23-28-19.png", mimeType: "image/png", size: 10358 });
  });

  it("leaves the type out when Discord does not know it", () => {
    const [blob] = discordAttachments([{ name: "data.bin", contentType: null, size: 3, url: DISCORD_DOC_ATTACHMENT.url }], undefined);
    expect(blob!.mimeType).toBeUndefined();
  });
});

describe("platform file hosts", () => {
  const slack = platformHosts(SLACK_FILE_HOSTS, "http://127.0.0.1:4567/api/");
  const discord = platformHosts(["cdn.discordapp.com", "media.discordapp.net"], "https://discord.com/api");

  it("accepts the platform's file hosts over HTTPS and the API base's host with its scheme and port", () => {
    expect(slack(new URL(SLACK_DOC_FILE.url_private))).toBe(true);
    expect(slack(new URL("http://127.0.0.1:4567/files-pri/T1-F1/a.png"))).toBe(true);
    expect(discord(new URL(DISCORD_DOC_ATTACHMENT.url))).toBe(true);
    expect(discord(new URL(DISCORD_DOC_ATTACHMENT.proxy_url))).toBe(true);
    expect(discord(new URL("https://discord.com/attachments/1/2/a.png"))).toBe(true);
  });

  it("refuses look-alikes, other schemes, other ports and other hosts", () => {
    for (const url of [
      "http://files.slack.com/files-pri/T1-F1/a.png",
      "https://files.slack.com.evil.example/files-pri/T1-F1/a.png",
      "https://evil.example/files.slack.com/a.png",
      "https://files.slack.com:8443/a.png",
      "http://127.0.0.1:4568/files-pri/T1-F1/a.png",
      "https://127.0.0.1:4567/files-pri/T1-F1/a.png",
      "https://slack.com/a.png",
    ])
      expect(slack(new URL(url)), url).toBe(false);
    expect(discord(new URL("https://cdn.discordapp.com.evil.example/a.png"))).toBe(false);
    expect(discord(new URL("https://media.discordapp.com/a.png"))).toBe(false);
  });
});
