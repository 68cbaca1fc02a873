import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/wait.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const stamp = join(root, "dist", ".built");
// Compiling on a loaded two-core machine can take a minute.
const BUILD_MS = 180_000;

/** `npm start` as a person runs it; resolves with the process and what it printed once it listens. */
async function npmStart(env: Record<string, string>): Promise<{ npm: ChildProcess; url: string; output: () => string }> {
  const npm = spawn("npm", ["start"], { cwd: root, env: { ...process.env, PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  npm.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const check = setInterval(() => {
      const found = /Web console: (https?:\/\/[^/\s]+)\//.exec(output);
      if (found) {
        clearInterval(check);
        resolve(found[1]!);
      }
    }, 20);
    npm.once("exit", (code) => {
      clearInterval(check);
      reject(new Error(`npm start exited (${code}) before it listened:\n${output}`));
    });
  });
  return { npm, url, output: () => output };
}

/** The processes whose parent is `pid`. */
async function children(pid: number): Promise<number[]> {
  const { stdout } = await promisify(execFile)("ps", ["-o", "pid=", "--ppid", String(pid)]).catch(() => ({ stdout: "" }));
  return stdout.split("\n").filter(Boolean).map(Number);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("npm start runs the compiled bot", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "quorum-start-"));
    // A build left by an earlier run would hide whether start builds when dist/ is stale.
    rmSync(stamp, { force: true });
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const env = () => ({ PGLITE_DIR: join(scratch, "pglite"), CONSOLE_TOKEN: "start-test-token-0123456789", LOG_LEVEL: "warn" });

  it(
    "builds when dist/ is missing or stale, answers health, and leaves no process behind on SIGTERM",
    async () => {
      const { npm, url, output } = await npmStart(env());
      expect(output()).toContain("Building dist/ from src/");
      expect(existsSync(stamp)).toBe(true);
      const health = await fetch(`${url}/api/health`);
      expect(health.status).toBe(200);
      // npm runs the script through a shell that execs node: the bot is npm's child, alone.
      const [bot, ...others] = await children(npm.pid!);
      expect(others).toEqual([]);
      expect(await children(bot!)).toEqual([]);
      const exited = new Promise<number | null>((resolve) => npm.once("exit", resolve));
      npm.kill("SIGTERM");
      expect(await exited).not.toBeNull();
      await waitFor(() => !alive(bot!), 15_000, "the bot process to exit");
    },
    BUILD_MS,
  );

  it(
    "starts from dist/ without building once it is built",
    async () => {
      const { npm, url, output } = await npmStart(env());
      expect(output()).not.toContain("Building dist/");
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
      const exited = new Promise((resolve) => npm.once("exit", resolve));
      npm.kill("SIGTERM");
      await exited;
    },
    BUILD_MS,
  );
});
