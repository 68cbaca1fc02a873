import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Files a fake platform serves on its own loopback server, the way Slack serves `url_private`
 * and Discord its CDN: a test hosts bytes under a path, may make the path redirect (to another
 * path, or off the platform's host), and reads which requests came and with what credentials.
 */

export interface HostedFile {
  bytes: Buffer;
  /** The Content-Type answered; default application/octet-stream. */
  contentType: string;
  /** Answer 302 to this URL (absolute, or a path on the same server) instead of the bytes. */
  redirectTo?: string;
}

export interface FileRequest {
  path: string;
  /** The Authorization header, as received. */
  authorization?: string;
  status: number;
  at: number;
}

export class FileHost {
  readonly #files = new Map<string, HostedFile>();
  readonly requests: FileRequest[] = [];

  constructor(
    /** Whether a request may read files; `false` answers 401 (Slack's file links want the bot token). */
    private readonly authorize: (authorization: string | undefined) => boolean = () => true,
  ) {}

  host(path: string, file: Partial<HostedFile> & { bytes: Buffer | string }): void {
    this.#files.set(path, {
      bytes: typeof file.bytes === "string" ? Buffer.from(file.bytes, "utf8") : file.bytes,
      contentType: file.contentType ?? "application/octet-stream",
      ...(file.redirectTo ? { redirectTo: file.redirectTo } : {}),
    });
  }

  has(path: string): boolean {
    return this.#files.has(path);
  }

  /** Answers a GET for a hosted path (any query string is ignored, as signed CDN URLs carry one). */
  serve(req: IncomingMessage, res: ServerResponse, path: string): void {
    const authorization = req.headers.authorization;
    const record = (status: number) => this.requests.push({ path, ...(authorization ? { authorization } : {}), status, at: Date.now() });
    const file = this.#files.get(path);
    if (!file || req.method !== "GET") {
      record(404);
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    if (!this.authorize(authorization)) {
      record(401);
      res.writeHead(401, { "content-type": "text/plain" }).end("not_authed");
      return;
    }
    if (file.redirectTo) {
      record(302);
      res.writeHead(302, { location: file.redirectTo }).end();
      return;
    }
    record(200);
    res.writeHead(200, { "content-type": file.contentType, "content-length": String(file.bytes.length) }).end(file.bytes);
  }

  clear(): void {
    this.#files.clear();
    this.requests.length = 0;
  }
}

/** A small valid PNG (1×1, transparent), for image tests. */
export const TINY_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);
