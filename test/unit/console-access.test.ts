import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsoleAccess, hostName } from "../../src/adapters/web/access.js";
import { operator } from "../../src/adapters/web/edge.js";
import { SESSION_IDLE_MS, SessionStore, tokenFingerprint } from "../../src/adapters/web/sessions.js";
import { ConfigError, loadConfig, secretValues } from "../../src/config.js";
import type { Database } from "../../src/db/client.js";
import { scratchPglite } from "../support/databases.js";

describe("console settings", () => {
  it("makes a random token at each start when CONSOLE_TOKEN is unset, and hides it from logs", () => {
    const first = loadConfig({});
    const second = loadConfig({});
    expect(first.console.tokenGenerated).toBe(true);
    expect(first.console.token.length).toBeGreaterThanOrEqual(32);
    expect(first.console.token).not.toBe(second.console.token);
    expect(secretValues(first, {})).toContain(first.console.token);
    const set = loadConfig({ CONSOLE_TOKEN: "operator-secret-123" });
    expect(set.console).toMatchObject({ token: "operator-secret-123", tokenGenerated: false });
    expect(secretValues(set, { CONSOLE_TOKEN: "operator-secret-123" })).toContain("operator-secret-123");
  });

  it("takes PUBLIC_URL as an origin, and says what is wrong otherwise", () => {
    expect(loadConfig({ PUBLIC_URL: "https://quorum.example.com/" }).console.publicUrl?.origin).toBe("https://quorum.example.com");
    for (const wrong of ["quorum.example.com", "ftp://quorum.example.com", "https://quorum.example.com/console"])
      expect(() => loadConfig({ PUBLIC_URL: wrong }), wrong).toThrow(/PUBLIC_URL: got .*; expected the console's public origin/);
    expect(() => loadConfig({ CONSOLE_TOKEN: "has spaces in it" })).toThrow(ConfigError);
    expect(() => loadConfig({ CONSOLE_TOKEN: "has spaces in it" })).toThrow(/CONSOLE_TOKEN: got a value \(hidden\)/);
    expect(() => loadConfig({ CONSOLE_TOKEN: "short-token" })).toThrow(/CONSOLE_TOKEN: .*at least 16 characters/);
  });
});

describe("console access", () => {
  let database: Database;
  beforeAll(async () => {
    database = await scratchPglite();
  });
  afterAll(() => database.close());

  it("reads the host name of a Host header", () => {
    expect(hostName("LocalHost:3000")).toBe("localhost");
    expect(hostName("[::1]:3000")).toBe("[::1]");
    expect(hostName("example.com.")).toBe("example.com");
    expect(hostName("quorum_bot:3000")).toBe("quorum_bot");
    expect(hostName("evil.example/x")).toBeUndefined();
    expect(hostName("a b")).toBeUndefined();
  });

  it("accepts the loopback names, the bind address and PUBLIC_URL's host, on any port", () => {
    const sessions = new SessionStore(database.db, "x");
    const local = new ConsoleAccess({ token: "t", bindHost: "127.0.0.1", sessions });
    for (const host of ["localhost:1", "127.0.0.1", "[::1]:80"]) expect(local.hostAllowed(host), host).toBe(true);
    for (const host of [undefined, "", "evil.example", "127.0.0.2", "10.0.0.1:3000"]) expect(local.hostAllowed(host), host).toBe(false);
    const proxied = new ConsoleAccess({ token: "t", bindHost: "::", sessions, publicUrl: new URL("https://quorum.example.com") });
    expect(proxied.hostAllowed("quorum.example.com")).toBe(true);
    const addresses = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
    for (const { address, family } of addresses)
      expect(proxied.hostAllowed(family === "IPv6" ? `[${address.replace(/%.*/, "")}]:3000` : address), address).toBe(true);
    expect(proxied.ownOrigin("localhost:3000")).toBe("https://quorum.example.com");
    expect(local.ownOrigin("LOCALHOST:3000")).toBe("http://localhost:3000");
    expect(local.originAllowed({ host: "localhost:3000", origin: "http://localhost:3000" })).toBe(true);
    expect(local.originAllowed({ host: "localhost:3000", origin: "http://localhost:3001" })).toBe(false);
    expect(local.originAllowed({ host: "localhost:3000" })).toBe(false);
  });

  it("compares tokens whatever their length, and makes Secure cookies for https only", () => {
    const sessions = new SessionStore(database.db, "x");
    const access = new ConsoleAccess({ token: "right-token", bindHost: "127.0.0.1", sessions });
    expect(access.tokenMatches("right-token")).toBe(true);
    for (const wrong of ["", "right-toke", "right-token ", "x".repeat(10_000)]) expect(access.tokenMatches(wrong)).toBe(false);
    expect(access.cookie("abc")).toBe("quorum_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=604800");
    const https = new ConsoleAccess({ token: "t", bindHost: "127.0.0.1", sessions, publicUrl: new URL("https://q.example") });
    expect(https.cookie("abc")).toContain("; Secure");
  });

  it("keeps sessions for 7 idle days, and ends those of a rotated token", async () => {
    let now = Date.parse("2030-01-01T00:00:00Z");
    const clock = () => now;
    const store = new SessionStore(database.db, tokenFingerprint("first-token", false), clock);
    const id = await store.create();
    expect(await store.find(id)).toMatchObject({ refreshed: false });
    now += 2 * 60 * 60_000;
    expect(await store.find(id)).toMatchObject({ refreshed: true });
    now += SESSION_IDLE_MS - 60_000;
    expect(await store.find(id)).toBeDefined();
    now += SESSION_IDLE_MS + 1;
    expect(await store.find(id)).toBeUndefined();
    expect(await store.find("never-made")).toBeUndefined();

    const kept = await store.create();
    const rotated = new SessionStore(database.db, tokenFingerprint("second-token", false), clock);
    expect(await rotated.find(kept)).toBeUndefined();
    await rotated.prune();
    expect(await store.find(kept)).toBeUndefined();

    // Random tokens, new at each start, keep sessions across restarts.
    expect(tokenFingerprint("a", true)).toBe(tokenFingerprint("b", true));
    expect(tokenFingerprint("a", false)).not.toBe(tokenFingerprint("b", false));
    expect(tokenFingerprint("a", false)).not.toContain("a");
  });

  it("makes the console's author the operator, named as typed", () => {
    expect(operator("alice")).toEqual({ id: "operator", name: "alice", isAdmin: true });
  });
});
