import type { RESTError } from "discord-api-types/v10";
import { FAKE_DISCORD } from "../ids.js";

/** Matching a request to a route, checking its authorization, and turning DiscordError into Discord's error body. */

export interface RecordedRequest {
  /** The route's name, e.g. "PATCH /channels/:channel/messages/:message" ("unknown" when none matched). */
  route: string;
  method: string;
  /** The path after `/api/v10`, its segments decoded. */
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  /** The `Authorization` header, e.g. `Bot <token>`. */
  authorization: string | undefined;
  /** Date.now() when the request arrived. */
  at: number;
  /** Set once the fake has answered. */
  status?: number;
  response?: unknown;
}

export type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
type Handler = (call: RecordedRequest) => Answer;

/** Thrown by a route handler to answer `status` with Discord's `{message, code}`. */
export class DiscordError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const ok = (body?: unknown, status = 200): Answer => (body === undefined ? { status: 204 } : { status, body });
export const param = (call: RecordedRequest, name: string) => call.params[name]!;

export const notFound = (): Answer => ({ status: 404, body: { message: "404: Not Found", code: 0 } satisfies RESTError });

export class RestRouter {
  // "bot" routes want `Authorization: Bot <token>`; "token" routes are authorised by the interaction token in their path.
  private readonly routes: { name: string; pattern: RegExp; auth: "bot" | "token"; handle: Handler }[] = [];

  /** `intercept` may answer a matched route before its handler (a scripted 429), even before the auth check. */
  constructor(private readonly intercept: (route: string) => Answer | undefined) {}

  route(name: string, auth: "bot" | "token", handle: Handler): void {
    const [, path] = name.split(" ");
    const pattern = new RegExp(`^${path!.replace(/[@]/g, "\\$&").replace(/:(\w+)/g, "(?<$1>[^/]+)")}$`);
    this.routes.push({ name, pattern, auth, handle });
  }

  has(name: string): boolean {
    return this.routes.some((r) => r.name === name);
  }

  answer(call: RecordedRequest): Answer {
    for (const r of this.routes) {
      if (!r.name.startsWith(`${call.method} `)) continue;
      const match = r.pattern.exec(call.path);
      if (!match) continue;
      call.route = r.name;
      call.params = { ...match.groups };
      const intercepted = this.intercept(r.name);
      if (intercepted) return intercepted;
      if (r.auth === "bot" && call.authorization !== `Bot ${FAKE_DISCORD.token}`)
        return { status: 401, body: { message: "401: Unauthorized", code: 0 } satisfies RESTError };
      try {
        return r.handle(call);
      } catch (error) {
        if (!(error instanceof DiscordError)) throw error;
        return { status: error.status, body: { message: error.message, code: error.code } satisfies RESTError };
      }
    }
    return notFound();
  }
}
