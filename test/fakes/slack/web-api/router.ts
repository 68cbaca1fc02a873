import { type RecordedCall, type SlackArgs, SlackError, type SlackMethods } from "./args.js";
import type { Answer } from "./http.js";
import type { SlackScript } from "./script.js";

/** Answers one call: a scripted failure first, then a test's route or a built-in method, after the token check. */

export type RouteHandler = (call: RecordedCall) => SlackArgs | Promise<SlackArgs>;

export interface TokenRules {
  /** When set, any other bot token gets `invalid_auth`. */
  botToken?: string;
  /** When set, any other app-level token gets `invalid_auth`. */
  appToken?: string;
}

export class SlackRouter {
  private readonly routes = new Map<string, { handler: RouteHandler; appToken: boolean }>();

  constructor(
    private readonly methods: SlackMethods,
    private readonly script: SlackScript,
    private readonly tokens: TokenRules,
  ) {}

  /** Adds or replaces a method; `appToken` methods want an `xapp-` token, like apps.connections.open. */
  route(method: string, handler: RouteHandler, options: { appToken?: boolean } = {}): void {
    this.routes.set(method, { handler, appToken: options.appToken ?? false });
  }

  async answer(call: RecordedCall): Promise<Answer> {
    const scripted = await this.script.intercept(call);
    if (scripted) return scripted;
    const route = this.routes.get(call.method);
    const builtin = this.methods[call.method];
    if (!route && !builtin) return { status: 200, body: { ok: false, error: "unknown_method", req_method: call.method } };
    const denied = this.tokenError(call.method, call.token, route?.appToken ?? false);
    if (denied) return { status: 200, body: { ok: false, error: denied } };
    try {
      const body = route ? await route.handler(call) : builtin!(call.args, call);
      return { status: 200, body: { ok: true, ...body } };
    } catch (error) {
      if (error instanceof SlackError) return { status: 200, body: { ok: false, error: error.code, ...error.extra } };
      return { status: 200, body: { ok: false, error: "internal_error", detail: String(error) } };
    }
  }

  private tokenError(method: string, token: string | undefined, appTokenMethod: boolean): string | undefined {
    if (method === "api.test") return undefined;
    if (!token) return "not_authed";
    if (!/^xox[bpae]-|^xapp-/.test(token)) return "invalid_auth";
    const isApp = token.startsWith("xapp-");
    if (appTokenMethod !== isApp) return "not_allowed_token_type";
    if (isApp && this.tokens.appToken && token !== this.tokens.appToken) return "invalid_auth";
    if (token.startsWith("xoxb-") && this.tokens.botToken && token !== this.tokens.botToken) return "invalid_auth";
    return undefined;
  }
}
