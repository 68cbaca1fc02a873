import { createHash, randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { openDatabase } from "../../src/db/client.js";

/**
 * A migrated PGlite cluster, made once and copied for each test. A new PGlite runs initdb and
 * every migration in WebAssembly: several seconds of CPU each time, 20 s and more on a loaded
 * two-core machine, which is what made hooks that open a database or start an app time out.
 * Loading a copy takes under a second. The template is made by the real openDatabase() and kept
 * under node_modules/.cache, keyed by the migrations, the database client and the PGlite version,
 * so a change to any of them makes a new one; test/support/global-setup.ts makes it before the
 * tests run.
 */

const root = fileURLToPath(new URL("../..", import.meta.url));

interface TemplatePaths {
  /** The cluster folder, for an app that opens PGlite from a folder of its own. */
  cluster: string;
  /** The same cluster as PGlite's dumpDataDir() tarball, for an in-memory database. */
  tarball: string;
}

let paths: TemplatePaths | undefined;

function templatePaths(): TemplatePaths {
  if (paths) return paths;
  const hash = createHash("sha256");
  const pglite = JSON.parse(readFileSync(join(root, "node_modules/@electric-sql/pglite/package.json"), "utf8")) as { version: string };
  hash.update(`pglite ${pglite.version}\n`);
  // The client that makes it: a change to how openDatabase() opens PGlite makes a new template too.
  hash.update(readFileSync(join(root, "src/db/client.ts")));
  const migrations = join(root, "migrations");
  for (const file of filesUnder(migrations)) hash.update(relative(migrations, file)).update(readFileSync(file));
  const dir = join(root, "node_modules/.cache/quorum-test", `pglite-${hash.digest("hex").slice(0, 16)}`);
  paths = { cluster: join(dir, "cluster"), tarball: join(dir, "cluster.tar") };
  return paths;
}

/** Makes the template unless it is there; safe when several processes try at once. */
export async function ensurePgliteTemplate(): Promise<void> {
  const { cluster, tarball } = templatePaths();
  if (existsSync(tarball)) return;
  const dir = join(cluster, "..");
  const building = `${dir}.building-${randomBytes(4).toString("hex")}`;
  try {
    const database = await openDatabase({ kind: "pglite", dir: join(building, "cluster") });
    await database.close();
    const raw = await PGlite.create(join(building, "cluster"));
    const dump = await raw.dumpDataDir("none");
    await raw.close();
    writeFileSync(join(building, "cluster.tar"), Buffer.from(await dump.arrayBuffer()));
    mkdirSync(join(dir, ".."), { recursive: true });
    try {
      renameSync(building, dir);
    } catch (error) {
      // Another process finished first: use its template.
      if (!existsSync(tarball)) throw error;
    }
    // Templates of older migrations are 40 MB each and never used again.
    for (const old of readdirSync(join(dir, "..")))
      if (old.startsWith("pglite-") && !old.includes(".building-") && join(dir, "..", old) !== dir)
        rmSync(join(dir, "..", old), { recursive: true, force: true });
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

/** Copies the template cluster to `dir` (which must not exist yet); false when there is no template. */
export function copyPgliteTemplate(dir: string): boolean {
  const { cluster, tarball } = templatePaths();
  if (!existsSync(tarball)) return false;
  cpSync(cluster, dir, { recursive: true });
  return true;
}

/** The template as a tarball for PGlite's `loadDataDir`; undefined when there is no template. */
export function pgliteTemplateDump(): Blob | undefined {
  const { tarball } = templatePaths();
  return existsSync(tarball) ? new Blob([readFileSync(tarball)]) : undefined;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}
