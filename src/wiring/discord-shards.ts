import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { LuaScript } from "../jobs/lua-script.js";
import type { Logger } from "./log.js";

/** A shard's lease lasts this long unless renewed: a holder that died is replaced within it plus a round. */
const SHARD_LEASE_MS = 15_000;
/** Every process renews the shards it holds, and tries the free ones, this often. */
const SHARD_ROUND_MS = 5_000;

// KEYS: the shard's lease. ARGV: this process's token, the lease's length. Takes the lease when it
// is free or this process's already (a renewal); 1 when the caller holds it now, 0 when another does.
const CLAIM = new LuaScript(
  `local holder = redis.call("get", KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2])
  return 1
end
return 0`,
  1,
);

// KEYS: the shard's lease. ARGV: this process's token. Frees it only if this process holds it.
const RELEASE = new LuaScript(
  `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end
return 0`,
  1,
);

/** The gateway connections, as the Discord adapter makes them. */
export interface Shards {
  connect(shard: number, count: number): Promise<void>;
  disconnect(shard: number): Promise<void>;
}

export interface ShardLeaseOptions {
  redis: Redis;
  prefix: string;
  count: number;
  shards: Shards;
  log: Logger;
  leaseMs?: number;
  roundMs?: number;
}

/**
 * Each Discord gateway shard held by one process among all that share Redis: a lease per shard
 * (`<prefix>:discord:shard:<n>`, this process's token, `SHARD_LEASE_MS`) renewed every round while
 * connected. A process that finds a shard's lease free takes it and connects; one that finds its
 * lease taken by another disconnects, so a process that stalled past its lease gives way. A clean
 * stop disconnects, then frees the leases at once.
 */
export class ShardLeases {
  readonly #token = randomUUID();
  readonly #held = new Set<number>();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(private readonly options: ShardLeaseOptions) {}

  /**
   * The first round: connects the shards that are free. With Redis unreachable it connects them
   * all, since chat must work without Redis (processed events drop what two connections both
   * deliver); later rounds give back those another process holds once Redis answers.
   */
  async start(): Promise<void> {
    // Renewals start at once: a connection slower than the lease must not lose it meanwhile.
    this.#timer = setInterval(() => {
      this.#round = this.#round.then(() => this.#claimAll(false));
    }, this.options.roundMs ?? SHARD_ROUND_MS);
    this.#timer.unref();
    try {
      await this.#claimAll(true);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Disconnects every shard held here and frees its lease, so another process takes it without waiting. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#round;
    const { redis, shards, log } = this.options;
    await Promise.all(
      [...this.#held].map(async (shard) => {
        this.#held.delete(shard);
        await shards.disconnect(shard);
        await RELEASE.run(redis, [this.#key(shard), this.#token]).catch((error: unknown) => {
          log.warn({ err: error, shard }, "discord shard lease not released; another process takes it when it expires");
        });
      }),
    );
  }

  async #claimAll(first: boolean): Promise<void> {
    const shards = Array.from({ length: this.options.count }, (_, shard) => shard);
    await Promise.all(shards.map((shard) => this.#claim(shard, first)));
  }

  async #claim(shard: number, first: boolean): Promise<void> {
    const { redis, shards, count, log } = this.options;
    if (this.#stopped) return;
    let mine: boolean;
    try {
      mine = (await CLAIM.run(redis, [this.#key(shard), this.#token, String(this.options.leaseMs ?? SHARD_LEASE_MS)])) === 1;
    } catch (error) {
      // Unsure who holds it: a connected shard stays connected; at start, connect anyway.
      if (!first) return log.warn({ err: error, shard }, "discord shard lease not renewed");
      log.warn({ err: error, shard }, "discord shard lease unknown (Redis unreachable); connecting without it");
      mine = true;
    }
    if (mine && !this.#held.has(shard)) {
      this.#held.add(shard);
      // Not awaited by later rounds, so that renewals of the other shards go on meanwhile.
      const connecting = shards.connect(shard, count).catch(async (error: unknown) => {
        this.#held.delete(shard);
        await RELEASE.run(redis, [this.#key(shard), this.#token]).catch(() => undefined);
        if (first) throw error;
        log.error({ err: error, shard }, "discord shard not connected");
      });
      if (first) await connecting;
    } else if (!mine && this.#held.has(shard)) {
      log.warn({ shard }, "discord shard taken over by another process; disconnecting");
      this.#held.delete(shard);
      await shards.disconnect(shard);
    } else if (!mine && first) {
      log.info({ shard }, "discord shard held by another process; standing by to take it over");
    }
  }

  #key(shard: number): string {
    return `${this.options.prefix}:discord:shard:${shard}`;
  }
}
