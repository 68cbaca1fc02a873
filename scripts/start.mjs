// `npm start` and `npm run worker`: build when dist/ is missing or older than src/, then become
// the compiled process. Node replaces nothing in place, so the entry runs in this process
// (imported, not spawned): a signal to `npm start` reaches it, and nothing is left behind.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entry = process.argv[2] ?? "main";
const built = join(root, "dist", `${entry}.js`);
const stamp = join(root, "dist", ".built");

/** The newest modification time of any file below `dir`. */
function newest(dir) {
  let latest = 0;
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, item.name);
    latest = Math.max(latest, item.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

if (!existsSync(built) || !existsSync(stamp) || statSync(stamp).mtimeMs < newest(join(root, "src"))) {
  console.error("Building dist/ from src/ (npm run build) ...");
  execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
}
await import(pathToFileURL(built).href);
