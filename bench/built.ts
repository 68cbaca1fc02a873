import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
let built = false;

/**
 * Builds dist/ once per bench run, so the benches measure the bot as `npm start` runs it (the
 * compiled code), not through the TypeScript loader the tests use.
 */
export function buildOnce(): "built" {
  if (!built) execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "ignore" });
  built = true;
  return "built";
}
