import { readFileSync } from "node:fs";
import type { HttpBindings } from "@hono/node-server";
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Author } from "../../core/thread.js";
import type { ConsoleAccess, Credential, EdgeHeaders } from "./access.js";
import { consolePage, consolePrefix } from "./console-files.js";

/** What the edge hands the routes: who is asking, once checked. */
export type EdgeEnv = { Bindings: Partial<HttpBindings>; Variables: { credential: Credential | undefined } };

export const MAX_BODY_BYTES = 1024 * 1024;
/** No inline script or style anywhere: the page loads its own files, and talks to its own origin. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

const loginBody = readFileSync(new URL("./login.html", import.meta.url), "utf8");
/** The console page's start (doctype, meta, title), then the login form and its style sheets (links are body-ok). */
const loginPage = `${consolePage.slice(0, consolePage.indexOf("<link"))}</head>\n<body>\n${loginBody}</body>\n</html>\n`;
/** The login form, with a sentence saying what went wrong, if anything (fixed texts only). */
export const loginForm = (problem = "") =>
  loginPage.replace("<!--problem-->", problem && `<p class="login-problem" role="alert">${problem}</p>`);

/**
 * Who writes from the console: the operator, whoever holds the token owns the bot, so an admin.
 * The name typed into the console is how the message is signed, never an identity with a role.
 */
export const operator = (displayName: string): Author => ({ id: "operator", name: displayName, isAdmin: true });

export const clientAddress = (c: Context<EdgeEnv>) => c.env?.incoming?.socket.remoteAddress ?? "unknown";

function edgeHeaders(c: Context<EdgeEnv>): EdgeHeaders {
  const header = (name: string) => c.req.header(name);
  return { host: header("host"), origin: header("origin"), authorization: header("authorization"), cookie: header("cookie") };
}

/** Routes anyone may ask for: the files the login form and the console page load, and the login itself. */
const open = (path: string) => path === "/login" || path.startsWith(consolePrefix);
/** Routes that answer without credentials too, with less: the login form, the bare health status. */
const optional = (method: string, path: string) => path === "/" || (method === "GET" && path === "/api/health");

/**
 * The checks every request passes before a route sees it, in order: the Host names this console
 * (421), the operator's token or session (401, 429 after too many wrong tokens), a session's
 * state changes come from the console's own page (403), bodies are JSON (415) under 1 MiB (413).
 * Everything not listed as open needs credentials, so a new route is closed until said otherwise.
 */
export function guardEdge(app: Hono<EdgeEnv>, access: ConsoleAccess): void {
  app.use("*", async (c, next) => {
    await next();
    const headers = c.res.headers;
    headers.set("Content-Security-Policy", CSP);
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("Referrer-Policy", "no-referrer");
    headers.set("X-Frame-Options", "DENY");
  });

  app.use("*", async (c, next) => {
    if (!access.hostAllowed(c.req.header("host")))
      return c.json({ error: "This server does not answer to that Host name; use the address Quorum printed at start." }, 421);
    const { method, path } = c.req;
    if (open(path)) return next();
    const headers = edgeHeaders(c);
    // A scraper's own token opens the metrics and nothing else.
    if (method === "GET" && path === "/metrics" && access.isMetricsToken(headers.authorization)) return next();
    const who = await access.authenticate(headers, clientAddress(c));
    if (who === "limited") return c.json({ error: "Too many wrong tokens from this address; try again in a minute." }, 429);
    if (typeof who !== "object") {
      if (who === "none" && optional(method, path)) return next();
      c.header("WWW-Authenticate", 'Bearer realm="quorum"');
      return c.json({ error: "Log in first: open the login link Quorum printed at start, or send Authorization: Bearer <token>." }, 401);
    }
    if (who.kind === "session" && !SAFE_METHODS.has(method) && !access.originAllowed(headers))
      return c.json({ error: "A change from a browser session must come from the console's own page (Origin)." }, 403);
    c.set("credential", who);
    // An active session's cookie is sent again, so its Max-Age follows the idle limit.
    if (who.kind === "session" && who.refreshed) c.header("Set-Cookie", access.cookie(who.sessionId));
    return next();
  });

  app.use("*", async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const type = c.req.header("content-type");
    const hasBody =
      type !== undefined || Number(c.req.header("content-length") ?? 0) > 0 || c.req.header("transfer-encoding") !== undefined;
    if (hasBody && !/^application\/json\s*(?:;|$)/i.test(type ?? ""))
      return c.json({ error: "Send the body as JSON, with Content-Type: application/json." }, 415);
    return next();
  });

  // Content-Length is checked before anything is read; a body without one is counted as it streams in.
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json({ error: `The body is over ${MAX_BODY_BYTES} bytes.` }, 413, { Connection: "close" }),
    }),
  );
}

/** `GET /login?token=T` (the printed link, or the login form) and `POST /api/logout`. */
export function authRoutes(app: Hono<EdgeEnv>, access: ConsoleAccess): void {
  app.get("/login", async (c) => {
    c.header("Cache-Control", "no-store");
    const address = clientAddress(c);
    const token = c.req.query("token");
    if (access.limited(address)) return c.html(loginForm("Too many wrong tokens from this address; try again in a minute."), 429);
    if (token === undefined) return c.html(loginForm());
    if (access.checkToken(token, address) !== "ok") return c.html(loginForm("That is not the console token."), 401);
    c.header("Set-Cookie", access.cookie(await access.sessions.create()));
    return c.redirect("/", 303);
  });

  app.post("/api/logout", async (c) => {
    const credential = c.get("credential");
    if (credential?.kind === "session") await access.endSession(credential.sessionId);
    c.header("Set-Cookie", access.clearedCookie());
    return c.body(null, 204);
  });
}
