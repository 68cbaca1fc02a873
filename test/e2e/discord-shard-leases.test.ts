import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ShardLeases, type Shards } from "../../src/wiring/discord-shards.js";
import { createLogger } from "../../src/wiring/log.js";
import { waitFor } from "../support/wait.js";

/** A process's gateway connections, as ShardLeases drives them: which shards it has connected. */
function recordedShards(): Shards & { connected: Set<number> } {
  const connected = new Set<number>();
  return {
    connected,
    async connect(shard) {
      connected.add(shard);
    },
    async disconnect(shard) {
      connected.delete(shard);
    },
  };
}

describe("Discord shard leases in Redis", () => {
  const redis = new Redis("redis://127.0.0.1:6379");
  const running: ShardLeases[] = [];
  const prefix = `qtest-${randomBytes(4).toString("hex")}`;
  // Short, so that a lapsed lease is seen within a test; the product's are 15 s and 5 s.
  const timing = { leaseMs: 600, roundMs: 100 };
  const leases = (shards: Shards, count = 2) => {
    const lease = new ShardLeases({ redis, prefix, count, shards, log: createLogger("silent"), ...timing });
    running.push(lease);
    return lease;
  };

  afterEach(async () => {
    await Promise.all(running.splice(0).map((lease) => lease.stop()));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  });
  afterAll(() => redis.quit());

  it("gives each shard to one process, and hands them over at once on a clean stop", async () => {
    const [a, b] = [recordedShards(), recordedShards()];
    const first = leases(a);
    await first.start();
    await leases(b).start();
    expect([...a.connected].sort()).toEqual([0, 1]);
    expect(b.connected.size).toBe(0);

    await first.stop();
    expect(a.connected.size).toBe(0);
    expect(await redis.keys(`${prefix}:discord:shard:*`)).toEqual([]);
    await waitFor(() => b.connected.size === 2, 5_000, "the other process to take both shards");
  });

  it("lets another take a shard whose holder stopped renewing, and the holder gives way when it finds out", async () => {
    const [a, b] = [recordedShards(), recordedShards()];
    await leases(a, 1).start();
    await leases(b, 1).start();
    expect(a.connected.has(0)).toBe(true);

    // Another process took the lease while this one stalled (here: its lease given to someone else).
    await redis.set(`${prefix}:discord:shard:0`, "someone-else", "PX", 2_000);
    await waitFor(() => !a.connected.has(0), 5_000, "the stalled holder to disconnect");
    expect(b.connected.has(0)).toBe(false);
    // That process died: its lease lapses, and one of the two takes the shard again.
    await waitFor(() => a.connected.has(0) || b.connected.has(0), 10_000, "the shard to be taken over");
    expect(a.connected.has(0) && b.connected.has(0)).toBe(false);
  });
});
