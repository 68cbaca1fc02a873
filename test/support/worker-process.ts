import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** `npm run worker` as its own process, with `env` on top of this one's. */
export function spawnWorker(env: Record<string, string>): ChildProcess {
  // tsx as a loader, not its CLI: one process, so a SIGKILL reaches the worker itself.
  return spawn(process.execPath, ["--import", "tsx", "src/worker.ts"], { cwd: root, env: { ...process.env, ...env }, stdio: "ignore" });
}

/** Settings that point a worker process at a test app's fake LLM. */
export function fakeLlmEnv(url: string): Record<string, string> {
  return { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: url, LLM_MODEL: "fake-model", LLM_MAX_RETRIES: "0", LOG_LEVEL: "silent" };
}
