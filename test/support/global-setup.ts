import { ensurePgliteTemplate } from "./pglite-template.js";

/** Runs once before a project's tests: the migrated PGlite cluster their databases are copied from. */
export default async function setup(): Promise<void> {
  await ensurePgliteTemplate();
}
