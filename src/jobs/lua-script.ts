import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * A Lua script that Redis runs by its SHA1 (EVALSHA): its text is sent only when Redis does not
 * know it yet (the first call, or after a restart or SCRIPT FLUSH), not with every call.
 */
export class LuaScript {
  readonly sha: string;

  constructor(
    private readonly lua: string,
    private readonly keys: number,
  ) {
    this.sha = createHash("sha1").update(lua).digest("hex");
  }

  /** Runs the script with its `keys` first keys and then the arguments in `args`. */
  async run(redis: Redis, args: string[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, this.keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      // EVAL caches the script, so the next call's EVALSHA finds it.
      return redis.eval(this.lua, this.keys, ...args);
    }
  }
}
