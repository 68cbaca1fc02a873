import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RecordedCall, SlackArgs } from "./args.js";

/**
 * The HTTP side of the fake Web API: `POST /api/<method>` decoded the way the real
 * `@slack/web-api` client encodes it (a form, with JSON inside some fields; or JSON with the
 * token in a header), and `POST /response/<id>` for slash commands' response_url.
 */

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: SlackArgs;
}

type Reply = (answer: Answer) => void;

export interface SlackHttpHandlers {
  /** A decoded Web API call; `reply` sends the answer. */
  api(call: RecordedCall, reply: Reply): Promise<void>;
  /** What a response_url received; `reply` sends the answer. */
  responseUrl(id: string, body: SlackArgs, at: number, reply: Reply): void;
  /** A request for a file under `/files-pri/` (`url_private`). */
  file?(req: IncomingMessage, res: ServerResponse, path: string): void;
}

export interface SlackHttpServer {
  /** e.g. `http://127.0.0.1:PORT`. */
  origin: string;
  stop(): Promise<void>;
}

/** Fields the client JSON-encodes inside a form body. */
const JSON_FIELDS = new Set([
  "blocks",
  "attachments",
  "chunks",
  "metadata",
  "unfurls",
  "user_auth_blocks",
  "view",
  "prompts",
  "loading_messages",
]);
/** Free-text fields that are never JSON even when they look like it. */
const TEXT_FIELDS = new Set(["text", "markdown_text", "status", "name", "username", "title", "query", "reason", "icon_emoji", "icon_url"]);

export async function serveSlackApi(handlers: SlackHttpHandlers): Promise<SlackHttpServer> {
  const server = createServer((req, res) => {
    const at = Date.now();
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const apiMatch = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    const responseMatch = /^\/response\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    if (url.pathname.startsWith("/files-pri/") && handlers.file) return handlers.file(req, res, url.pathname);
    const work = apiMatch
      ? handleApi(req, res, apiMatch[1]!, url, at)
      : responseMatch && req.method === "POST"
        ? handleResponseUrl(req, res, responseMatch[1]!, at)
        : Promise.resolve(send(res, 404, { "content-type": "text/plain" }, "not found"));
    work.catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { "content-type": "text/plain" }, String(error));
    });
  });

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string, url: URL, at: number) {
    const raw = await readBody(req);
    const contentType = String(req.headers["content-type"] ?? "").toLowerCase();
    const args: SlackArgs = {};
    for (const [name, value] of url.searchParams) args[name] = decodeField(name, value);
    let encoding: RecordedCall["encoding"] = "none";
    let bodyToken: string | undefined;
    if (contentType.startsWith("application/json")) {
      encoding = "json";
      try {
        if (raw.length > 0) Object.assign(args, JSON.parse(raw) as SlackArgs);
      } catch {
        return send(res, 200, {}, { ok: false, error: "invalid_json" });
      }
      delete args.token; // Slack ignores a token in a JSON body: it must come as a header
    } else if (contentType.startsWith("multipart/form-data")) {
      encoding = "multipart";
    } else if (contentType.startsWith("application/x-www-form-urlencoded") || raw.length > 0) {
      encoding = "form";
      for (const [name, value] of new URLSearchParams(raw)) args[name] = decodeField(name, value);
    }
    if (typeof args.token === "string") bodyToken = args.token;
    delete args.token;
    const header = String(req.headers.authorization ?? "");
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? bodyToken;
    await handlers.api({ method, args, token, at, encoding }, replyOn(res));
  }

  async function handleResponseUrl(req: IncomingMessage, res: ServerResponse, id: string, at: number) {
    const raw = await readBody(req);
    let body: SlackArgs;
    try {
      const contentType = String(req.headers["content-type"] ?? "");
      if (contentType.includes("json")) body = JSON.parse(raw) as SlackArgs;
      else {
        const payload = new URLSearchParams(raw).get("payload");
        body = payload ? (JSON.parse(payload) as SlackArgs) : Object.fromEntries(new URLSearchParams(raw));
      }
    } catch {
      return send(res, 400, { "content-type": "text/plain" }, "invalid_payload");
    }
    handlers.responseUrl(id, body, at, replyOn(res));
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function decodeField(name: string, value: string): unknown {
  if (TEXT_FIELDS.has(name)) return value;
  if (JSON_FIELDS.has(name)) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  // Any other object or array argument is JSON-encoded by the client too.
  const looksJson = (value.startsWith("[") && value.endsWith("]")) || (value.startsWith("{") && value.endsWith("}"));
  if (!looksJson) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function replyOn(res: ServerResponse): Reply {
  return (answer) => send(res, answer.status, answer.headers ?? {}, answer.body);
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(text);
}
