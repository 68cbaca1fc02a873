import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { withinDeadline } from "../core/unavailable.js";
import { preparingPglite } from "./pglite-prepared.js";
import { tunedClient } from "./postgres-client.js";
import * as schema from "./schema.js";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseSettings =
  | {
      kind: "postgres";
      url: string;
      /** false for a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21). */
      prepare?: boolean;
      /** A statement not answered by then fails with UnavailableError; absent, statements wait. */
      statementTimeoutMs?: number;
    }
  | {
      kind: "pglite";
      dir: string;
      /** A cluster to start from, as PGlite's dumpDataDir() makes it; only for a `dir` that holds none yet. */
      loadDataDir?: Blob;
    };

export interface Database {
  db: Db;
  /**
   * The same database, for writes whose loss in a crash of the database server costs no one's
   * words: what the bot already delivered, and bookkeeping. They commit without waiting for the
   * WAL flush (Postgres' synchronous_commit off), which is most of a write's latency; a crash of
   * the server may drop the last fraction of a second of them, never corrupt anything. Project
   * state always uses `db`; what users send goes here only where `flush` can make it durable.
   */
  relaxed: Db;
  /**
   * Makes every commit so far durable: a transactional WAL message forces the flush, and the WAL
   * is one stream, so relaxed commits before it are flushed too. Absent where relaxed commits
   * cannot be flushed on demand (PGlite, where nothing is relaxed; a server that revoked
   * pg_logical_emit_message).
   */
  flush?: () => Promise<void>;
  engine: DatabaseSettings["kind"];
  /** Cheap round trip for health checks; fails within PING_DEADLINE_MS when the server does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL("../../migrations", import.meta.url));
// Serialises migrations when several processes start against one Postgres.
const MIGRATION_LOCK = 7_246_170_001;
/** A health check says `db: down` within this, whatever the server does. */
const PING_DEADLINE_MS = 2_000;
/** Seconds to establish a connection (postgres.js waits 30 by default). */
const CONNECT_TIMEOUT_S = 5;

/** Opens the database and applies pending migrations. */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  if (settings.kind === "pglite") {
    if (settings.dir !== "memory://") mkdirSync(settings.dir, { recursive: true });
    // pgvector ships with PGlite's build: recall by meaning needs nothing installed.
    const client = await PGlite.create(settings.dir, { loadDataDir: settings.loadDataDir, extensions: { vector } });
    const db = drizzlePglite(preparingPglite(client), { schema });
    await migratePglite(db, { migrationsFolder });
    return {
      db: db as unknown as Db,
      relaxed: db as unknown as Db,
      engine: "pglite",
      ping: async () => void (await client.query("select 1")),
      close: () => client.close(),
    };
  }
  const options = { onnotice: () => undefined, connect_timeout: CONNECT_TIMEOUT_S };
  // The server stops a statement past the deadline too, so a slow one does not hold its connection.
  const timeout = settings.statementTimeoutMs === undefined ? {} : { statement_timeout: settings.statementTimeoutMs };
  const client = postgres(settings.url, { ...options, max: 10, connection: timeout });
  const relaxedClient = postgres(settings.url, { ...options, max: 8, connection: { ...timeout, synchronous_commit: "off" } });
  const tuning = { prepare: settings.prepare !== false, deadlineMs: settings.statementTimeoutMs };
  const over = (sql: postgres.Sql) => drizzlePostgres(tunedClient(sql, tuning), { schema });
  const db = over(client);
  // Migrations may rightly take longer than any statement of a request: a connection of their own.
  // Two: one holds the migration lock while the other migrates.
  const migrator = postgres(settings.url, { ...options, max: 2 });
  try {
    await migrateWithLock(migrator, () => migratePostgres(drizzlePostgres(migrator, { schema }), { migrationsFolder }));
  } finally {
    await migrator.end({ timeout: 5 });
  }
  const [canFlush] = await client<
    { ok: boolean }[]
  >`select has_function_privilege('pg_logical_emit_message(boolean,text,text)', 'execute') as ok`;
  const emit = () => client`select pg_logical_emit_message(true, 'quorum.flush', '')`;
  return {
    db: db as unknown as Db,
    relaxed: over(relaxedClient) as unknown as Db,
    flush: !canFlush?.ok
      ? undefined
      : async () => void (await (tuning.deadlineMs === undefined ? emit() : withinDeadline(emit(), tuning.deadlineMs, "The database"))),
    engine: "postgres",
    ping: async () => void (await withinDeadline(client`select 1`, PING_DEADLINE_MS, "The database")),
    close: async () => void (await Promise.all([client.end({ timeout: 5 }), relaxedClient.end({ timeout: 5 })])),
  };
}

async function migrateWithLock(client: postgres.Sql, run: () => Promise<void>): Promise<void> {
  const conn = await client.reserve();
  try {
    await conn`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await run();
  } finally {
    await conn`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    conn.release();
  }
}
