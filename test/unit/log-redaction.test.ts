import { DrizzleQueryError } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { redactText } from "../../src/core/redact.js";
import { createLogger } from "../../src/wiring/log.js";

function capture(level: string, secrets: string[] = []) {
  const lines: string[] = [];
  const log = createLogger(level, secrets, { write: (line: string) => void lines.push(line) });
  return { log, lines };
}

// Shapes only; none of these is a real credential.
const planted = {
  slack: `xoxb-${"1234567890"}-${"0987654321"}-AbCdEfGhIjKlMnOpQrStUvWx`,
  slackApp: "xapp-1-A0123456789-1234567890123-abcdef0123456789",
  openai: "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789",
  discord: `${"MTEyMzQ1Njc4OTAxMjM0NTY3OA"}.GaBcDe.${"abcdefghijklmnopqrstuvwxyz0123"}`,
  jwt: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcGVyYXRvciJ9.c2lnbmF0dXJlLXZhbHVl",
};

describe("log redaction", () => {
  it("hides credential shapes wherever they appear in a line", () => {
    const { log, lines } = capture("info");
    log.info({ apiKey: "k1", config: { signingSecret: "s1" } }, "settings");
    log.info({ headers: { authorization: "Bearer abc.def.ghi" }, url: "https://api.example.com/x?token=t0p&page=2" }, "calling");
    log.warn({ discordAuth: `Bot ${planted.discord}` }, `keys ${planted.slack} ${planted.slackApp} ${planted.openai} ${planted.jwt}`);
    log.error(
      { db: "postgres://bot:s3cret-pw@db.internal:5432/quorum", signed: "https://cdn.example.com/f?X-Amz-Signature=deadbeef&a=1" },
      "connect",
    );
    const text = lines.join("");
    for (const secret of [...Object.values(planted), "abc.def.ghi", "t0p", "s3cret-pw", "deadbeef", "k1", "s1"])
      expect(text).not.toContain(secret);
    expect(text).toContain("page=2");
    expect(text).toContain("db.internal:5432/quorum");
    expect(text).toContain("&a=1");
  });

  it("hides the configured secrets whatever their shape, in messages and errors", () => {
    const { log, lines } = capture("info", ["correct-horse-battery", "short", 'pa"ss\\word-42']);
    log.warn({ setting: 'pa"ss\\word-42' }, "a secret that JSON escapes");
    log.error({ err: new Error("401: key correct-horse-battery refused") }, "model call failed with correct-horse-battery");
    const text = lines.join("");
    expect(text).not.toContain("correct-horse-battery");
    expect(text).not.toContain("word-42");
    expect(text).toContain("[redacted]");
  });

  it("keeps the values bound to SQL statements out of errors below debug", () => {
    const failure = () => new DrizzleQueryError("insert into messages (content) values ($1)", ["my private message"], new Error("boom"));
    const quiet = capture("info");
    quiet.log.error({ err: failure() }, "request failed");
    expect(quiet.lines.join("")).not.toContain("my private message");
    expect(quiet.lines.join("")).toContain("insert into messages");
    const verbose = capture("debug");
    verbose.log.error({ err: failure() }, "request failed");
    expect(verbose.lines.join("")).toContain("my private message");
  });

  it("leaves ordinary text alone", () => {
    const text = '12 passed; "promptTokens": 40; see https://example.com/docs?page=3 and sk-y; Bot is ready';
    expect(redactText(text)).toBe(text);
  });
});
