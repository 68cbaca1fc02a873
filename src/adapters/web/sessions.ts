import { createHash, randomBytes } from "node:crypto";
import { and, eq, lt, ne, or } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { consoleSessions } from "../../db/schema.js";

/** A session nobody used for this long is over. */
export const SESSION_IDLE_MS = 7 * 24 * 60 * 60_000;
/** last_seen_at is written at most this often per session, not on every request. */
const TOUCH_AFTER_MS = 60 * 60_000;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * What ties sessions to the token that made them. A token set in CONSOLE_TOKEN has its own
 * fingerprint, so changing it ends every session made under the old one. A random token is new at
 * each start, and a restart keeps sessions (DESIGN.md), so all random tokens share one. Only a
 * short prefix of a hash is kept: enough to tell tokens apart, too little to test guesses against.
 */
export function tokenFingerprint(token: string, generated: boolean): string {
  return generated ? "generated" : sha256(`quorum-console-token:${token}`).slice(0, 12);
}

export interface Session {
  /** The stored hash of the id: names the session without being the cookie. */
  key: string;
  /** last_seen_at moved forward just now: time to send the cookie again with a fresh Max-Age. */
  refreshed: boolean;
}

/**
 * The console's login sessions, in the database so that a restart keeps them. This lives in the
 * web adapter (adapters may use db) because nothing else reads the table: a login session is the
 * console's own concern, like its routes. The browser holds a random id; the table holds its hash.
 */
export class SessionStore {
  constructor(
    private readonly db: Db,
    private readonly fingerprint: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Drops sessions gone idle and those of another token; run at start. */
  async prune(): Promise<void> {
    const idleSince = new Date(this.now() - SESSION_IDLE_MS);
    await this.db
      .delete(consoleSessions)
      .where(or(lt(consoleSessions.lastSeenAt, idleSince), ne(consoleSessions.tokenFingerprint, this.fingerprint)));
  }

  /** A new session; the id for the cookie, which is stored nowhere. */
  async create(): Promise<string> {
    const id = randomBytes(32).toString("base64url");
    const at = new Date(this.now());
    await this.db.insert(consoleSessions).values({ idHash: sha256(id), tokenFingerprint: this.fingerprint, createdAt: at, lastSeenAt: at });
    return id;
  }

  async find(id: string): Promise<Session | undefined> {
    const key = sha256(id);
    const [row] = await this.db
      .select({ lastSeenAt: consoleSessions.lastSeenAt })
      .from(consoleSessions)
      .where(and(eq(consoleSessions.idHash, key), eq(consoleSessions.tokenFingerprint, this.fingerprint)));
    if (!row) return undefined;
    const idle = this.now() - row.lastSeenAt.getTime();
    if (idle > SESSION_IDLE_MS) {
      await this.db.delete(consoleSessions).where(eq(consoleSessions.idHash, key));
      return undefined;
    }
    if (idle < TOUCH_AFTER_MS) return { key, refreshed: false };
    await this.db
      .update(consoleSessions)
      .set({ lastSeenAt: new Date(this.now()) })
      .where(eq(consoleSessions.idHash, key));
    return { key, refreshed: true };
  }

  /** Ends the session; its key, as `find` gave it. */
  async end(id: string): Promise<string> {
    const key = sha256(id);
    await this.db.delete(consoleSessions).where(eq(consoleSessions.idHash, key));
    return key;
  }
}
