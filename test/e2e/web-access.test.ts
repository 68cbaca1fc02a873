import http from "node:http";
import net from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { MAX_SOCKETS_PER_CREDENTIAL } from "../../src/adapters/web/socket.js";
import { startTestApp, type TestApp } from "../support/app.js";

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request exactly as written: any Host, Origin or body, from any loopback address. */
function raw(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { hostname, port, path, method: options.method ?? "GET", headers: options.headers, localAddress: options.localAddress },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

/** Opens the event socket with these headers: "open", or the HTTP status that refused it. */
function upgrade(base: string, headers: Record<string, string>, channel = "general"): Promise<{ result: "open" | number; ws: WebSocket }> {
  const ws = new WebSocket(`${base.replace("http", "ws")}/api/events?channel=${channel}`, { headers });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ result: "open", ws }));
    ws.once("unexpected-response", (_request, response) => resolve({ result: response.statusCode ?? 0, ws }));
    ws.once("error", reject);
  });
}

/** The session cookie from a login link answer, as a Cookie header value. */
const cookieOf = (answer: Answer) => String(answer.headers["set-cookie"]?.[0] ?? "").split(";")[0] ?? "";

describe("the console and its API are the operator's alone", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  const login = async (token = t.token) => raw(t.app.url, `/login?token=${encodeURIComponent(token)}`);

  it("answers 401 and does nothing without credentials, on every /api route and the WebSocket", async () => {
    const routes: [string, string][] = [
      ["GET", "/api/ping"],
      ["GET", "/api/capabilities"],
      ["GET", "/api/channels"],
      ["GET", "/api/channels/general/threads"],
      ["GET", "/api/threads/some-thread/messages"],
      ["GET", "/api/projects/some-project"],
      ["GET", "/api/no-such-route"],
      ["POST", "/api/chat"],
      ["POST", "/api/commands"],
      ["POST", "/api/logout"],
    ];
    for (const [method, path] of routes) {
      const body = method === "POST" ? JSON.stringify({ channel: "sneaky", user: "eve", text: "hi", command: "/memory" }) : undefined;
      const answer = await raw(t.app.url, path, { method, body, headers: { "content-type": "application/json" } });
      expect(answer.status, `${method} ${path}`).toBe(401);
      expect(answer.headers["www-authenticate"]).toContain("Bearer");
    }
    const wrong = await raw(t.app.url, "/api/channels", { headers: { authorization: "Bearer not-the-token" } });
    expect(wrong.status).toBe(401);
    const { result } = await upgrade(t.app.url, {});
    expect(result).toBe(401);
    // Nothing was done: no channel "sneaky" came to be.
    const channels = (await t.get("/api/channels")).json as { name: string }[];
    expect(channels.map((channel) => channel.name)).not.toContain("sneaky");
  });

  it("tells the health status alone without credentials, and the details with them", async () => {
    const bare = await raw(t.app.url, "/api/health");
    expect(bare.status).toBe(200);
    expect(JSON.parse(bare.text)).toEqual({ status: "ok" });
    const full = await t.get("/api/health");
    expect(full.json).toMatchObject({ status: "ok", db: "ok", llm: "ok", redis: expect.any(String) });
  });

  it("shows a login form at / without a session, and the console with one", async () => {
    const page = await raw(t.app.url, "/");
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<label for="token">Console token<\/label>/);
    expect(page.text).toMatch(/<input id="token" name="token" type="password"/);
    expect(page.text).not.toContain("main.js");
    const cookie = cookieOf(await login());
    const console = await raw(t.app.url, "/", { headers: { cookie } });
    expect(console.text).toContain('src="/console/main.js"');
  });

  it("logs in with the link: 303 to / and an HttpOnly, SameSite=Strict session cookie; a wrong token gets 401 and none", async () => {
    const answer = await login();
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe("/");
    const setCookie = String(answer.headers["set-cookie"]?.[0]);
    expect(setCookie).toMatch(/^quorum_session=[\w-]{40,};/);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).not.toContain("Secure");
    const cookie = cookieOf(answer);
    expect((await raw(t.app.url, "/api/channels", { headers: { cookie } })).status).toBe(200);

    const wrong = await login("guess");
    expect(wrong.status).toBe(401);
    expect(wrong.headers["set-cookie"]).toBeUndefined();
    expect(wrong.text).toContain("not the console token");
  });

  it("limits wrong tokens per client address with 429, the right one included, and leaves other addresses alone", async () => {
    const from = { localAddress: "127.0.0.2" };
    for (let i = 0; i < 10; i++) expect((await raw(t.app.url, "/login?token=guess", from)).status).toBe(401);
    expect((await raw(t.app.url, `/login?token=${t.token}`, from)).status).toBe(429);
    expect((await raw(t.app.url, "/api/channels", { ...from, headers: t.auth })).status).toBe(429);
    expect((await login()).status).toBe(303);
    // A proxy's own Basic credentials are no guess at the token: they neither count nor lock out.
    const proxied = { localAddress: "127.0.0.3", headers: { authorization: "Basic dXNlcjpwYXNz" } };
    for (let i = 0; i < 12; i++) expect((await raw(t.app.url, "/api/channels", proxied)).status).toBe(401);
    expect((await raw(t.app.url, "/api/channels", { localAddress: "127.0.0.3", headers: t.auth })).status).toBe(200);
  });

  it("keeps a session across a restart; logout ends it and closes its live sockets", async () => {
    const cookie = cookieOf(await login());
    await t.restart();
    expect((await raw(t.app.url, "/api/channels", { headers: { cookie } })).status).toBe(200);
    const live = await upgrade(t.app.url, { cookie, origin: t.app.url });
    expect(live.result).toBe("open");
    const closed = new Promise<number>((resolve) => live.ws.once("close", resolve));
    const out = await raw(t.app.url, "/api/logout", { method: "POST", headers: { cookie, origin: t.app.url } });
    expect(out.status).toBe(204);
    // The session's live events stop with it.
    expect(await closed).toBe(1008);
    expect(String(out.headers["set-cookie"]?.[0])).toMatch(/^quorum_session=;.*Max-Age=0/);
    expect((await raw(t.app.url, "/api/channels", { headers: { cookie } })).status).toBe(401);
    expect((await raw(t.app.url, "/", { headers: { cookie } })).text).toContain("Console token");
  });

  it("ends a session idle for 7 days", async () => {
    const cookie = cookieOf(await login());
    expect((await raw(t.app.url, "/api/channels", { headers: { cookie } })).status).toBe(200);
    await t.app.database.db.execute(sql`update console_sessions set last_seen_at = now() - interval '7 days 1 minute'`);
    expect((await raw(t.app.url, "/api/channels", { headers: { cookie } })).status).toBe(401);
  });

  it("takes a session's changes and live events from the console's own Origin only; a bearer needs none", async () => {
    // The app's own origin (a restart above may have moved its port).
    const origin = t.app.url;
    const cookie = cookieOf(await login());
    const body = JSON.stringify({ channel: "general", user: "ada", command: "/agent", text: "" });
    const post = (headers: Record<string, string>) =>
      raw(t.app.url, "/api/commands", { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
    expect((await post({ cookie, origin: "https://evil.example" })).status).toBe(403);
    expect((await post({ cookie, origin: "null" })).status).toBe(403);
    expect((await post({ cookie })).status).toBe(403);
    expect((await post({ cookie, origin })).status).toBe(200);
    expect((await post(t.auth)).status).toBe(200);
    // Reading needs no Origin.
    expect((await raw(t.app.url, "/api/channels", { headers: { cookie } })).status).toBe(200);

    expect((await upgrade(t.app.url, { cookie, origin: "https://evil.example" })).result).toBe(403);
    expect((await upgrade(t.app.url, { cookie })).result).toBe(403);
    const own = await upgrade(t.app.url, { cookie, origin });
    expect(own.result).toBe("open");
    own.ws.close();
    const bearer = await upgrade(t.app.url, t.auth);
    expect(bearer.result).toBe("open");
    bearer.ws.close();
  });

  it("answers 421 to a Host that does not name the console (DNS rebinding)", async () => {
    const port = new URL(t.app.url).port;
    for (const path of ["/", "/api/health", "/api/channels", "/login?token=x", "/console/main.js"])
      expect((await raw(t.app.url, path, { headers: { ...t.auth, host: `evil.example:${port}` } })).status, path).toBe(421);
    expect((await upgrade(t.app.url, { ...t.auth, host: "evil.example" })).result).toBe(421);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, "[::1]", "LOCALHOST"])
      expect((await raw(t.app.url, "/api/health", { headers: { host } })).status, host).toBe(200);
  });

  it("takes JSON bodies only (415), under 1 MiB (413, before the rest is read)", async () => {
    const form = await raw(t.app.url, "/api/chat", {
      method: "POST",
      headers: { ...t.auth, "content-type": "text/plain" },
      body: JSON.stringify({ channel: "general", user: "ada", text: "hi" }),
    });
    expect(form.status).toBe(415);
    const urlencoded = await raw(t.app.url, "/api/commands", {
      method: "POST",
      headers: { ...t.auth, "content-type": "application/x-www-form-urlencoded" },
      body: "channel=general",
    });
    expect(urlencoded.status).toBe(415);

    // 2 MiB announced, a few bytes sent, then nothing: the answer comes anyway.
    const { hostname, port } = new URL(t.app.url);
    const socket = net.connect(Number(port), hostname);
    const answer = await new Promise<string>((resolve, reject) => {
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString();
        if (text.includes("\r\n\r\n")) resolve(text);
      });
      socket.on("error", reject);
      socket.write(
        `POST /api/chat HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: ${t.auth.authorization}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n{"channel":`,
      );
    });
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);

    // Without a Content-Length, counted as it streams in.
    const chunked = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        { hostname, port, path: "/api/chat", method: "POST", headers: { ...t.auth, "content-type": "application/json" } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on("error", (error) => ((error as NodeJS.ErrnoException).code === "EPIPE" ? undefined : reject(error)));
      const piece = "x".repeat(64 * 1024);
      for (let i = 0; i < 32; i++) request.write(piece);
      request.end();
    });
    expect(chunked).toBe(413);
  });

  it("refuses ids holding U+0000 or over 200 characters (400), and a thread under another channel (404)", async () => {
    for (const id of ["a\u0000b", "x".repeat(201)]) {
      expect((await t.get(`/api/threads/${encodeURIComponent(id)}/messages`)).status).toBe(400);
      expect((await t.get(`/api/projects/${encodeURIComponent(id)}`)).status).toBe(400);
      expect((await t.post("/api/chat", { channel: "general", user: "ada", text: "hi", thread: id })).status).toBe(400);
    }
    expect((await t.get(`/api/channels/${"a".repeat(201)}/threads`)).status).toBe(400);
    expect((await t.get(`/api/channels/${encodeURIComponent("a\u0000")}/threads`)).status).toBe(400);
    const first = await t.post("/api/chat", { channel: "general", user: "ada", text: "a thread of general" });
    expect(first.status).toBe(200);
    const elsewhere = await t.post("/api/chat", { channel: "random", user: "ada", text: "hi", thread: first.json.thread });
    expect(elsewhere.status).toBe(404);
    const same = await t.post("/api/chat", { channel: "general", user: "ada", text: "hi again", thread: first.json.thread });
    expect(same.status).toBe(200);
  });

  it(`holds at most ${MAX_SOCKETS_PER_CREDENTIAL} live connections per login`, async () => {
    const held: WebSocket[] = [];
    try {
      for (let i = 0; i < MAX_SOCKETS_PER_CREDENTIAL; i++) {
        const { result, ws } = await upgrade(t.app.url, t.auth, `c${i}`);
        expect(result).toBe("open");
        held.push(ws);
      }
      expect((await upgrade(t.app.url, t.auth)).result).toBe(429);
      // Another login has its own allowance.
      const cookie = cookieOf(await login());
      const other = await upgrade(t.app.url, { cookie, origin: t.app.url });
      expect(other.result).toBe("open");
      other.ws.close();
      // A closed connection frees its place.
      const closed = new Promise((resolve) => held[0]?.once("close", resolve));
      held[0]?.close();
      await closed;
      await new Promise((resolve) => setTimeout(resolve, 50));
      const again = await upgrade(t.app.url, t.auth);
      expect(again.result).toBe("open");
      held.push(again.ws);
    } finally {
      for (const ws of held) ws.close();
    }
  });

  it("survives a client that resets its connection while its upgrade is checked", async () => {
    const { port } = new URL(t.app.url);
    for (const cookie of ["", "Cookie: quorum_session=forged\r\n"]) {
      const socket = net.connect(Number(port), "127.0.0.1");
      await new Promise((resolve) => socket.once("connect", resolve));
      socket.write(
        `GET /api/events?channel=general HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${cookie}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      );
      socket.resetAndDestroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await t.get("/api/health")).status).toBe(200);
  });

  it("sends security headers with the page, the login form and the console's files", async () => {
    const cookie = cookieOf(await login());
    for (const [path, headers] of [
      ["/", { cookie }],
      ["/", {}],
      ["/console/main.js", {}],
      ["/api/health", {}],
    ] as const) {
      const answer = await raw(t.app.url, path, { headers });
      const csp = String(answer.headers["content-security-policy"]);
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain("unsafe-inline");
      expect(answer.headers["x-content-type-options"], path).toBe("nosniff");
      expect(answer.headers["referrer-policy"], path).toBe("no-referrer");
    }
  });

  it("acts as the operator: the user field names the message, it grants nothing", async () => {
    const said = await t.post("/api/chat", { channel: "general", user: "mallory", text: "who am I?" });
    const history = await t.get(`/api/threads/${said.json.thread}/messages`);
    expect(history.json[0].author).toBe("mallory");
  });
});

describe("the console behind a reverse proxy (PUBLIC_URL)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: "https://quorum.example.com" });
  });
  afterAll(() => t?.stop());

  it("accepts its host, makes Secure cookies and takes its origin as the console's own", async () => {
    const host = { host: "quorum.example.com" };
    const answer = await raw(t.app.url, `/login?token=${t.token}`, { headers: host });
    expect(answer.status).toBe(303);
    expect(String(answer.headers["set-cookie"]?.[0])).toMatch(/; Secure/);
    const cookie = cookieOf(answer);
    const body = JSON.stringify({ channel: "general", user: "ada", command: "/agent", text: "" });
    const post = (origin: string) =>
      raw(t.app.url, "/api/commands", {
        method: "POST",
        body,
        headers: { ...host, cookie, origin, "content-type": "application/json" },
      });
    expect((await post("https://quorum.example.com")).status).toBe(200);
    expect((await post(t.app.url)).status).toBe(403);
    expect((await upgrade(t.app.url, { ...host, cookie, origin: "https://quorum.example.com" })).result).toBe("open");
    expect((await raw(t.app.url, "/api/health", { headers: { host: "other.example.com" } })).status).toBe(421);
  });
});
