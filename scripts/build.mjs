// Compiles src/ to dist/ and copies the files the code reads beside itself at run time (the
// console's page, scripts and styles); migrations/ stays at the root, found from dist/db as from src/db.
import { execFileSync } from "node:child_process";
import { cpSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const fresh = process.argv.includes("--clean");
if (fresh) rmSync(join(root, "dist"), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
const web = "adapters/web";
for (const name of ["console.html", "login.html", "console"])
  cpSync(join(root, "src", web, name), join(root, "dist", web, name), {
    recursive: true,
    filter: (path) => !path.endsWith("tsconfig.json"),
  });
// When this build finished: `npm start` rebuilds when any file of src/ is newer.
writeFileSync(join(root, "dist", ".built"), new Date().toISOString());
