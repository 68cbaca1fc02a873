import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { preparingPglite } from "./pglite-prepared.js";
import * as schema from "./schema.js";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseSettings =
  /** `prepare: false` for a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21). */
  { kind: "postgres"; url: string; prepare?: boolean } | { kind: "pglite"; dir: string };

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
  /** Cheap round trip for health checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL("../../migrations", import.meta.url));
// Serialises migrations when several processes start against one Postgres.
const MIGRATION_LOCK = 7_246_170_001;

/** Opens the database and applies pending migrations. */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  if (settings.kind === "pglite") {
    if (settings.dir !== "memory://") mkdirSync(settings.dir, { recursive: true });
    const client = await PGlite.create(settings.dir);
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
  const client = postgres(settings.url, { max: 10, onnotice: () => undefined });
  const relaxedClient = postgres(settings.url, { max: 8, onnotice: () => undefined, connection: { synchronous_commit: "off" } });
  const over = (sql: postgres.Sql) => drizzlePostgres(settings.prepare === false ? sql : preparing(sql), { schema });
  const db = over(client);
  await migrateWithLock(client, () => migratePostgres(db, { migrationsFolder }));
  const [canFlush] = await client<
    { ok: boolean }[]
  >`select has_function_privilege('pg_logical_emit_message(boolean,text,text)', 'execute') as ok`;
  return {
    db: db as unknown as Db,
    relaxed: over(relaxedClient) as unknown as Db,
    flush: canFlush?.ok ? async () => void (await client`select pg_logical_emit_message(true, 'quorum.flush', '')`) : undefined,
    engine: "postgres",
    ping: async () => void (await client`select 1`),
    close: async () => void (await Promise.all([client.end({ timeout: 5 }), relaxedClient.end({ timeout: 5 })])),
  };
}

/**
 * The client with every statement prepared. postgres.js sends a parameterised statement that is
 * not prepared in two round trips (it asks for the parameter types first), and drizzle prepares
 * only what it is told to; prepared, a statement costs that once per connection and is then one
 * round trip that Postgres need not parse again. Transactions and savepoints get the same treatment.
 */
function preparing<T extends postgres.Sql | postgres.TransactionSql>(sql: T): T {
  return new Proxy(sql, {
    get(target, key, receiver) {
      if (key === "unsafe")
        return (query: string, params?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) =>
          target.unsafe(query, params, { ...options, prepare: true });
      if (key === "begin" || key === "savepoint")
        return (...args: unknown[]) => {
          const callback = args.pop() as (tx: postgres.TransactionSql) => unknown;
          const open = Reflect.get(target, key) as (...rest: unknown[]) => Promise<unknown>;
          return open.call(target, ...args, (tx: postgres.TransactionSql) => callback(preparing(tx)));
        };
      return Reflect.get(target, key, receiver);
    },
  });
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
