import { join } from "node:path";
import postgres from "postgres";
import type { Database } from "../src/db/client.js";
import { postgresAdminUrl } from "../test/support/databases.js";
import { processCpuMs } from "./cpu.js";

/** Where a bench's bot keeps its data, and what the database costs outside the bot's process. */
export interface BenchDatabase {
  engine: Database["engine"];
  /** Settings for the bot: PGLITE_DIR in `dataDir`, or DATABASE_URL to a database of its own. */
  env: Record<string, string>;
  /** CPU time so far (ms) of the Postgres backends serving the bot; 0 on PGlite, which runs inside the bot's process. */
  serverCpuMs(): Promise<number>;
  drop(): Promise<void>;
}

/**
 * PGlite in `dataDir`, or a fresh database named `name` on the local Postgres. With PGlite the
 * database's work is in the bot's CPU time; with Postgres it is in the server's backends, which
 * run on this machine, so their CPU is read from /proc as the bot's is.
 */
export async function benchDatabase(engine: Database["engine"], name: string, dataDir: string): Promise<BenchDatabase> {
  if (engine === "pglite")
    // DATABASE_URL empty, or the shell's own would win over PGlite.
    return {
      engine,
      env: { PGLITE_DIR: join(dataDir, "pglite"), DATABASE_URL: "" },
      serverCpuMs: async () => 0,
      drop: async () => undefined,
    };
  const dbName = `quorum_bench_${name}_${process.pid}`;
  const admin = postgres(postgresAdminUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.unsafe(`create database ${dbName}`);
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${dbName}`;
  return {
    engine,
    env: { DATABASE_URL: url.toString() },
    async serverCpuMs() {
      const backends = await admin<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${dbName}`;
      // A backend gone since the query counts nothing (NaN).
      return backends.reduce((sum, { pid }) => sum + (processCpuMs(pid) || 0), 0);
    },
    async drop() {
      await admin.unsafe(`drop database if exists ${dbName} with (force)`);
      await admin.end();
    },
  };
}
