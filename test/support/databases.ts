import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { type Database, openDatabase } from "../../src/db/client.js";
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

/** A fresh, migrated in-memory PGlite: a copy of the migrated template (./pglite-template.ts) when there is one. */
export function scratchPglite(): Promise<Database> {
  return openDatabase({ kind: "pglite", dir: "memory://", loadDataDir: pgliteTemplateDump() });
}

/** A bare PGlite client in memory: the migrated template when there is one (the schema's tables, no rows). */
export async function rawPglite(): Promise<PGlite> {
  const loadDataDir = pgliteTemplateDump();
  return loadDataDir ? PGlite.create({ dataDir: "memory://", loadDataDir }) : PGlite.create("memory://");
}
