import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Node flags for the app's and workers' processes from `BENCH_APP_NODE_ARGS` (space-separated):
 * flags Node refuses in NODE_OPTIONS, such as `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile
 * them under a bench.
 */
export const appNodeArgs = (process.env.BENCH_APP_NODE_ARGS ?? "").split(" ").filter(Boolean);

/**
 * What a spawned process runs: src/ through tsx, as tests do, or dist/ as `npm start` and
 * `npm run worker` do (the benches, which build it first: see bench/built.ts).
 */
export type Code = "source" | "built";

// tsx as a loader, not its CLI: one process, so a SIGKILL reaches the app or worker itself.
const entryArgs = (entry: "main" | "worker", code: Code) =>
  code === "built" ? [`dist/${entry}.js`] : ["--import", "tsx", `src/${entry}.ts`];

/** `npm run worker` as its own process, with `env` on top of this one's. */
export function spawnWorker(env: Record<string, string>, code: Code = "source"): ChildProcess {
  return spawn(process.execPath, [...appNodeArgs, ...entryArgs("worker", code)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: "ignore",
  });
}

/** SIGTERM, then resolves once the process has exited (a worker finishes its jobs in hand first). */
export async function stopWorker(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  worker.kill("SIGTERM");
  await exited;
}

/**
 * `npm start` as its own process; resolves once it listens (PORT 0 picks a free port) with its URL
 * and the login link it printed.
 */
export async function spawnApp(
  env: Record<string, string>,
  code: Code = "source",
): Promise<{ child: ChildProcess; url: string; loginUrl: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...appNodeArgs, ...entryArgs("main", code)], {
    cwd: root,
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const loginUrl = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const found = /Web console: (https?:\/\/\S+\/login\?token=\S+)\s/.exec(out);
      if (found) resolve(found[1]!);
    });
    child.once("exit", (code) => reject(new Error(`the app exited (${code}) before it listened:\n${out}`)));
  });
  // Its log lines (JSON, at LOG_LEVEL: errors unless CHILD_LOG_LEVEL says more) show beside the
  // test's; the login line, which holds the token, does not.
  createInterface({ input: child.stdout! }).on("line", (line) => {
    if (line.startsWith("{")) process.stderr.write(`${line}\n`);
  });
  return {
    child,
    url: new URL(loginUrl).origin,
    loginUrl,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Settings that point a worker process at a test app's fake LLM. */
export function fakeLlmEnv(url: string): Record<string, string> {
  return {
    OPENAI_API_KEY: "sk-test",
    OPENAI_BASE_URL: url,
    LLM_MODEL: "fake-model",
    LLM_MAX_RETRIES: "0",
    LOG_LEVEL: process.env.CHILD_LOG_LEVEL ?? "error",
  };
}
