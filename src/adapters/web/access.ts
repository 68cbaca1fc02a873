import { createHash, timingSafeEqual } from "node:crypto";
import { hostname, networkInterfaces } from "node:os";
import { LRUCache } from "lru-cache";
import type { SessionStore } from "./sessions.js";
import { SESSION_IDLE_MS } from "./sessions.js";

export const SESSION_COOKIE = "quorum_session";
/** Wrong tokens a client address may send per minute before every attempt gets 429. */
const FAILURES_PER_MINUTE = 10;

/** Who a request comes from: the operator by token, or by a browser session. */
export type Credential = { kind: "bearer"; key: "bearer" } | { kind: "session"; key: string; sessionId: string; refreshed: boolean };

/** A credential, none at all, a wrong one, or too many wrong ones from this address. */
export type Authenticated = Credential | "none" | "denied" | "limited";

export interface AccessOptions {
  token: string;
  /** The console's origin behind a proxy. */
  publicUrl?: URL | undefined;
  /** The address the server binds (HOST). */
  bindHost: string;
  sessions: SessionStore;
  /** METRICS_TOKEN: opens GET /metrics alone. */
  metricsToken?: string | undefined;
}

/** The headers the checks read, from a Fetch request or a Node upgrade request alike. */
export interface EdgeHeaders {
  host?: string | undefined;
  origin?: string | undefined;
  authorization?: string | undefined;
  cookie?: string | undefined;
}

/**
 * Who may use the console and its API, and from where: the operator's token, their browser
 * sessions, the Host names that mean this console, and its own Origin. Shared by the HTTP routes
 * (edge.ts) and the WebSocket upgrade (socket.ts).
 */
export class ConsoleAccess {
  readonly sessions: SessionStore;
  readonly #digest: Buffer;
  readonly #metricsDigest: Buffer | undefined;
  readonly #hosts: ReadonlySet<string>;
  readonly #publicUrl: URL | undefined;
  readonly #failures = new LRUCache<string, { count: number }>({ max: 10_000, ttl: 60_000, noUpdateTTL: true });
  readonly #onEnd = new Set<(key: string) => void>();

  constructor(options: AccessOptions) {
    this.sessions = options.sessions;
    this.#digest = digest(options.token);
    this.#metricsDigest = options.metricsToken ? digest(options.metricsToken) : undefined;
    this.#publicUrl = options.publicUrl;
    this.#hosts = allowedHosts(options.bindHost, options.publicUrl);
  }

  /** Ends a browser session (logout); whatever it holds open, such as live sockets, is told. */
  async endSession(sessionId: string): Promise<void> {
    const key = await this.sessions.end(sessionId);
    for (const listener of this.#onEnd) listener(key);
  }

  /** `listener` hears the key of each session that ends. */
  onSessionEnd(listener: (key: string) => void): void {
    this.#onEnd.add(listener);
  }

  /** The Host header names this console (any port); anything else may be a rebound DNS name. */
  hostAllowed(host: string | undefined): boolean {
    const name = host === undefined ? undefined : hostName(host);
    return name !== undefined && this.#hosts.has(name);
  }

  /** The console's own origin: PUBLIC_URL's, or that of the (allowed) Host it was asked by. */
  ownOrigin(host: string | undefined): string {
    return this.#publicUrl?.origin ?? `http://${(host ?? "").toLowerCase()}`;
  }

  /** A request from a browser session must come from the console's own page. */
  originAllowed(headers: EdgeHeaders): boolean {
    return headers.origin !== undefined && headers.origin.toLowerCase() === this.ownOrigin(headers.host);
  }

  /** Compares in constant time: both sides are hashed to the same length first. */
  tokenMatches(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.#digest);
  }

  /** The request carries METRICS_TOKEN as its bearer token (compared in constant time). */
  isMetricsToken(authorization: string | undefined): boolean {
    return this.#metricsDigest !== undefined && bearerMatches(authorization, this.#metricsDigest);
  }

  /** A try at the token from `address`: a wrong one counts against it, and past the limit none is looked at. */
  checkToken(token: string, address: string): "ok" | "denied" | "limited" {
    if (this.limited(address)) return "limited";
    if (this.tokenMatches(token)) return "ok";
    const entry = this.#failures.get(address);
    if (entry) entry.count++;
    else this.#failures.set(address, { count: 1 });
    return "denied";
  }

  limited(address: string): boolean {
    return (this.#failures.get(address)?.count ?? 0) >= FAILURES_PER_MINUTE;
  }

  /**
   * A bearer token wins over a cookie; a wrong one counts against the client's address. Other
   * schemes (a proxy's own Basic auth) are not attempts at the token and fall through to the cookie.
   */
  async authenticate(headers: EdgeHeaders, address: string): Promise<Authenticated> {
    const token = headers.authorization === undefined ? undefined : /^Bearer +(\S+) *$/i.exec(headers.authorization)?.[1];
    if (token !== undefined) {
      const checked = this.checkToken(token, address);
      return checked === "ok" ? { kind: "bearer", key: "bearer" } : checked;
    }
    const sessionId = cookieValue(headers.cookie, SESSION_COOKIE);
    // Session ids are 256 random bits: an unknown one is a stale cookie, not a guess worth counting.
    const session = sessionId ? await this.sessions.find(sessionId) : undefined;
    return session && sessionId ? { kind: "session", key: session.key, sessionId, refreshed: session.refreshed } : "none";
  }

  /** The Set-Cookie value for a session: `Secure` when the console is served over https. */
  cookie(sessionId: string): string {
    return `${SESSION_COOKIE}=${sessionId}; ${this.#attributes()}; Max-Age=${SESSION_IDLE_MS / 1000}`;
  }

  clearedCookie(): string {
    return `${SESSION_COOKIE}=; ${this.#attributes()}; Max-Age=0`;
  }

  #attributes(): string {
    return `HttpOnly; SameSite=Strict; Path=/${this.#publicUrl?.protocol === "https:" ? "; Secure" : ""}`;
  }
}

/** A token hashed to a fixed length, so comparing two takes constant time. */
export const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

/** The Authorization header is `Bearer TOKEN` with the token whose digest is `expected` (compared in constant time). */
export function bearerMatches(authorization: string | undefined, expected: Buffer): boolean {
  const token = authorization === undefined ? undefined : /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
  return token !== undefined && timingSafeEqual(digest(token), expected);
}

/** The host name of a Host header, lower case, IPv6 in brackets; undefined when malformed. */
export function hostName(host: string): string | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[\w.-]+)(?::\d{1,5})?$/i.exec(host.trim());
  return match?.[1]?.toLowerCase().replace(/\.$/, "");
}

function allowedHosts(bindHost: string, publicUrl: URL | undefined): Set<string> {
  const bracket = (address: string) => (address.includes(":") ? `[${address.replace(/%.*$/, "")}]` : address);
  const hosts = new Set(["localhost", "127.0.0.1", "[::1]", bracket(bindHost.toLowerCase())]);
  if (bindHost === "0.0.0.0" || bindHost === "::") {
    // Bound to every interface: the machine's own addresses and name mean this console too.
    hosts.add(hostname().toLowerCase());
    for (const addresses of Object.values(networkInterfaces()))
      for (const { address } of addresses ?? []) hosts.add(bracket(address.toLowerCase()));
  }
  if (publicUrl) hosts.add(publicUrl.hostname.toLowerCase());
  return hosts;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim() || undefined;
  }
  return undefined;
}
