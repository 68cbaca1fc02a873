import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "../fakes/tcp-proxy.js";
import { scriptLlm, startTestApp, type TestApp } from "../support/app.js";
import { scratchPostgresUrl } from "../support/databases.js";

describe("a Postgres that stops answering", () => {
  let proxy: TcpProxy;
  let scratch: Awaited<ReturnType<typeof scratchPostgresUrl>>;
  let t: TestApp;

  beforeAll(async () => {
    scratch = await scratchPostgresUrl();
    const url = new URL(scratch.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(proxy.port);
    t = await startTestApp({ DATABASE_URL: url.toString(), DATABASE_STATEMENT_TIMEOUT_MS: "1000" });
    scriptLlm(t.llm, () => ({ content: "pong" }));
  });

  afterAll(async () => {
    // The app first: see slack-turn-failures.test.ts (a refused connection's unhandled rejection).
    await t.stop();
    await proxy.stop();
    await scratch.drop();
  });

  it("answers chat before, then says the database is down and answers 503 instead of hanging", async () => {
    const before = await t.post("/api/chat", { channel: "general", user: "ada", text: "ping" });
    expect(before.status).toBe(200);
    expect(before.json.reply.text).toBe("pong");

    proxy.freeze();
    const health = await t.get("/api/health");
    expect(health.status).toBe(503);
    expect(health.json.db).toBe("down");

    const chat = await t.post("/api/chat", { channel: "general", user: "ada", text: "still there?" });
    expect(chat.status).toBe(503);
    expect(chat.json.error).toBe("The database did not answer within 1 s; try again shortly.");
  });
});
