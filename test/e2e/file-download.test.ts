import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadFile, platformHosts } from "../../src/adapters/file-download.js";
import { DownloadError } from "../../src/core/attachment.js";

/** The guarded downloader against two loopback servers: the platform's file host, and somewhere else. */

interface Seen {
  path: string;
  authorization?: string;
}

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ origin: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? "", ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const stop = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe("file downloads", () => {
  let platform: Awaited<ReturnType<typeof serve>>;
  let elsewhere: Awaited<ReturnType<typeof serve>>;
  let streamClosed: Promise<void>;
  let onStreamClosed: () => void = () => undefined;

  beforeAll(async () => {
    elsewhere = await serve((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("stolen"));
    platform = await serve((req, res) => {
      const path = req.url ?? "";
      if (path === "/file.txt") return void res.writeHead(200, { "content-type": "text/plain" }).end("hello");
      if (path === "/hop") return void res.writeHead(302, { location: "/file.txt" }).end();
      if (path === "/away") return void res.writeHead(307, { location: `${elsewhere.origin}/loot` }).end();
      if (path === "/loop") return void res.writeHead(302, { location: "/loop" }).end();
      if (path === "/missing") return void res.writeHead(404).end();
      if (path === "/declared-big") return void res.writeHead(200, { "content-length": "5000" }).end("x".repeat(5000));
      if (path === "/endless") {
        // No Content-Length: only the cap while streaming stops it.
        res.writeHead(200, { "content-type": "application/octet-stream" });
        const timer = setInterval(() => res.write(Buffer.alloc(1024, 1)), 5);
        res.on("close", () => {
          clearInterval(timer);
          onStreamClosed();
        });
        return;
      }
      if (path === "/silent") return; // never answers
      res.writeHead(500).end();
    });
  });
  afterAll(async () => {
    await stop(platform.server);
    await stop(elsewhere.server);
  });

  const allowed = () => platformHosts(["files.slack.com"], `${platform.origin}/api/`);
  const get = (path: string, extra: Partial<Parameters<typeof downloadFile>[0]> = {}) =>
    downloadFile({
      url: `${platform.origin}${path}`,
      allowed: allowed(),
      headers: { authorization: "Bearer xoxb-secret" },
      maxBytes: 1024,
      ...extra,
    });

  it("follows a redirect on the platform's host, with its credentials", async () => {
    const { bytes, contentType } = await get("/hop");
    expect(Buffer.from(bytes).toString()).toBe("hello");
    expect(contentType).toBe("text/plain");
    expect(platform.seen.filter((s) => s.path === "/hop" || s.path === "/file.txt").map((s) => s.authorization)).toEqual([
      "Bearer xoxb-secret",
      "Bearer xoxb-secret",
    ]);
  });

  it("refuses a redirect off the platform's host before anything, or the token, reaches it", async () => {
    const error = await get("/away").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect(error).toMatchObject({ reason: "off_host" });
    expect(elsewhere.seen).toEqual([]);
  });

  it("refuses a first link that is not on the platform's host", async () => {
    await expect(downloadFile({ url: `${elsewhere.origin}/loot`, allowed: allowed(), maxBytes: 10 })).rejects.toMatchObject({
      reason: "off_host",
    });
    expect(elsewhere.seen).toEqual([]);
  });

  it("stops a download over the cap: by its Content-Length, or while it streams", async () => {
    await expect(get("/declared-big")).rejects.toMatchObject({ reason: "too_large" });
    streamClosed = new Promise<void>((resolve) => {
      onStreamClosed = resolve;
    });
    await expect(get("/endless", { maxBytes: 64 * 1024 })).rejects.toMatchObject({ reason: "too_large" });
    // The transfer itself ends, not just our reading of it.
    await streamClosed;
  });

  it("gives up at its time limit", async () => {
    await expect(get("/silent", { timeoutMs: 200 })).rejects.toMatchObject({ reason: "timeout" });
  });

  it("fails on answers other than 200 and on redirect loops", async () => {
    await expect(get("/missing")).rejects.toMatchObject({ reason: "http_status", message: "the platform answered 404" });
    await expect(get("/loop")).rejects.toMatchObject({ reason: "http_status" });
  });
});
