import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { startApp } from "../../src/wiring/app.js";
import { createLogger } from "../../src/wiring/log.js";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord/index.js";
import { type FakeSlack, startFakeSlack } from "../fakes/slack/index.js";
import { freePort } from "../support/ports.js";

const log = createLogger("silent");

describe("startApp when an adapter fails to start", () => {
  let discord: FakeDiscord;
  let slack: FakeSlack;
  const dirs: string[] = [];
  beforeAll(async () => {
    // A portal without the MessageContent intent: the gateway closes with "disallowed intents".
    discord = await startFakeDiscord({ allowedPrivilegedIntents: 0 });
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await discord?.stop();
    await slack?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, () => Record<string, string>, RegExp][] = [
    ["Discord refuses the intents", () => discord.env(), /MessageContent intent/],
    [
      "Slack refuses the app token",
      () => ({ ...slack.env("socket"), SLACK_APP_TOKEN: "xapp-1-A0QUORUM-0001-wrong-token" }),
      /invalid_auth/,
    ],
    ["Slack refuses the bot token", () => ({ ...slack.env("http"), SLACK_BOT_TOKEN: "xoxb-0001-wrong-token" }), /invalid_auth/],
  ];

  it.each(cases)("%s: rejects, closes what it opened, and a restart on the same data serves", async (_, platformEnv, reason) => {
    const dataDir = mkdtempSync(join(tmpdir(), "quorum-start-"));
    dirs.push(dataDir);
    const port = await freePort();
    const env = {
      PORT: String(port),
      PGLITE_DIR: join(dataDir, "pglite"),
      LOG_LEVEL: "silent",
      REDIS_PREFIX: `qtest-${randomBytes(4).toString("hex")}`,
      WEB_CONSOLE: "on",
    };
    await expect(startApp(loadConfig({ ...env, ...platformEnv() }), log)).rejects.toThrow(reason);
    // Nothing is left listening on the port the failed start had bound.
    await expect(freePort(port)).resolves.toBe(port);
    // The database was closed too: the same PGlite folder opens again.
    const config = loadConfig(env);
    const app = await startApp(config, log);
    try {
      const health = await fetch(`${app.url}/api/health`, { headers: { authorization: `Bearer ${config.console.token}` } });
      expect(((await health.json()) as { db: string }).db).toBe("ok");
    } finally {
      await app.close();
    }
  });
});
