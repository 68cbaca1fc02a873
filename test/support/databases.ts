import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import postgres from "postgres";
import { type Database, type Db, openDatabase } from "../../src/db/client.js";
import { preparingPglite } from "../../src/db/pglite-prepared.js";
import * as schema from "../../src/db/schema.js";
import { pgliteTemplateDump } from "./pglite-template.js";

/** The server .ci/run starts; tests make a scratch database of their own on it. */
export const postgresAdminUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** An empty Postgres database of its own, for a test or a process it starts. */
export async function scratchPostgresUrl(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `quorum_t_${randomBytes(6).toString("hex")}`;
  const admin = postgres(postgresAdminUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** A fresh, migrated Postgres database that is dropped on close. */
export async function scratchPostgres(options: { prepare?: boolean } = {}): Promise<Database> {
  const scratch = await scratchPostgresUrl();
  const database = await openDatabase({ kind: "postgres", url: scratch.url, ...options });
  return {
    ...database,
    close: async () => {
      await database.close();
      await scratch.drop();
    },
  };
}

const migrationsFolder = fileURLToPath(new URL("../../migrations", import.meta.url));

/**
 * A fresh, migrated in-memory PGlite. Loaded from the migrated template (./pglite-template.ts)
 * when there is one, and then put together as openDatabase() puts its PGlite together: drizzle
 * over the preparing client, migrations applied (none are pending, so that only checks).
 */
export async function scratchPglite(): Promise<Database> {
  const loadDataDir = pgliteTemplateDump();
  if (!loadDataDir) return openDatabase({ kind: "pglite", dir: "memory://" });
  const client = await PGlite.create({ dataDir: "memory://", loadDataDir });
  const db = drizzle(preparingPglite(client), { schema });
  await migrate(db, { migrationsFolder });
  return {
    db: db as unknown as Db,
    relaxed: db as unknown as Db,
    engine: "pglite",
    ping: async () => void (await client.query("select 1")),
    close: () => client.close(),
  };
}

/** A bare PGlite client in memory: the migrated template when there is one (the schema's tables, no rows). */
export async function rawPglite(): Promise<PGlite> {
  const loadDataDir = pgliteTemplateDump();
  return loadDataDir ? PGlite.create({ dataDir: "memory://", loadDataDir }) : PGlite.create("memory://");
}
