import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalBot, startLocalBot } from "../support/local-bot.js";

describe("/tools in the web console", () => {
  let bot: LocalBot;
  const tools = (text: string, channel = "ops") => bot.command(channel, "/tools", text);

  beforeAll(async () => {
    bot = await startLocalBot();
  });
  afterAll(() => bot.close());

  it("lists the tools by category and says how to enable the missing ones", async () => {
    const text = await tools("");
    expect(text).toContain("*math*\n• `calculator`");
    expect(text).toContain("• `current_time`");
    expect(text).toContain("• `forget`");
    expect(text).toMatch(/`web_search` is off: set SEARXNG_URL/);
    expect(text).toMatch(/`http_request` is off: describe the REST APIs it may call in HTTP_APIS/);
  });

  it("runs a tool through the executor and shows its result", async () => {
    expect(await tools('run calculator {"expression": "6 * 7"}')).toBe(
      '`calculator` returned:\n```\n{"expression":"6 * 7","result":42}\n```',
    );
  });

  it("shows a validation error naming the field", async () => {
    expect(await tools('run calculator {"expression": 7}')).toMatch(
      /^Error: invalid arguments for calculator: expression: .*expected string/,
    );
    expect(await tools("run calculator {oops")).toMatch(/not valid JSON/);
    expect(await tools("run calculator")).toMatch(/invalid arguments for calculator: expression/);
    expect(await tools("run")).toMatch(/^Usage: `\/tools run NAME \{json\}`/);
    expect(await tools("run nothing {}")).toBe('No tool "nothing" is available in this channel. `/tools` lists them.');
  });

  it("describes a tool with its parameters and statistics", async () => {
    expect(await tools("describe current_time")).toContain("Use: not used yet");
    await tools('run current_time {"timeZone": "Europe/Paris"}');
    await tools('run current_time {"timeZone": "Nowhere/Else"}');
    const text = await tools("describe current_time");
    expect(text).toMatch(/^\*current_time\* \(time\)\n/);
    expect(text).toMatch(/Use: 2 calls, 50% succeeded, mean \d+ ms, p95 \d+ ms, last used \d{4}-/);
    expect(text).toContain('"timeZone"');
  });

  it("finds tools by words", async () => {
    expect(await tools("search time zone")).toMatch(/^• `current_time`/);
    expect(await tools("search")).toBe("Usage: `/tools search WORDS`");
    expect(await tools("search zebra")).toBe('No tool here matches "zebra".');
  });
});

describe("/tools shows each tool's risk and whether its calls wait for approval", () => {
  const apis = JSON.stringify([{ name: "status", baseUrl: "https://status.example.com" }]);
  const listed = async (approval: string) => {
    const bot = await startLocalBot({ env: { HTTP_APIS: apis, TOOL_APPROVAL: approval } });
    try {
      return {
        list: await bot.command("ops", "/tools", ""),
        describeHttp: await bot.command("ops", "/tools", "describe http_request"),
        describeRemember: await bot.command("ops", "/tools", "describe remember"),
        search: await bot.command("ops", "/tools", "search arithmetic"),
      };
    } finally {
      await bot.close();
    }
  };

  it("under the default, only external calls wait", async () => {
    const { list, describeHttp, describeRemember, search } = await listed("external");
    expect(list).toMatch(/• `calculator` \(read\): /);
    expect(list).toMatch(/• `remember` \(write\): /);
    expect(list).toMatch(/• `http_request` \(external, waits for approval\): /);
    expect(list).toContain("TOOL_APPROVAL=external");
    expect(describeHttp).toContain(
      "Risk: external; the assistant's calls wait for a person's approval in the thread under TOOL_APPROVAL=external",
    );
    expect(describeRemember).toContain("Risk: write; the assistant's calls run without approval under TOOL_APPROVAL=external");
    expect(search).toMatch(/• `calculator` \(read\): /);
  });

  it("under write, write calls wait too; under none, nothing does", async () => {
    const write = await listed("write");
    expect(write.list).toMatch(/• `remember` \(write, waits for approval\): /);
    expect(write.list).toMatch(/• `recall` \(read\): /);
    expect(write.describeRemember).toContain(
      "Risk: write; the assistant's calls wait for a person's approval in the thread under TOOL_APPROVAL=write",
    );
    const none = await listed("none");
    expect(none.list).toMatch(/• `http_request` \(external\): /);
    expect(none.describeHttp).toContain("Risk: external; the assistant's calls run without approval under TOOL_APPROVAL=none");
  });
});
