import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: files in parallel beyond that only add contention.
    maxWorkers: 2,
    // Makes the migrated PGlite template that test databases and test apps start from.
    globalSetup: ["test/support/global-setup.ts"],
    projects: [
      {
        extends: true,
        test: {
          // In one process, no servers: the scripted model (test/support/scripted-llm.ts) and PGlite in memory.
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          // Each worker imports the sources once for all its files instead of once per file, which
          // was most of the unit suite's time. The unit tests restore what they change (fake clocks).
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          // The adapters against fake Slack, Discord and LLM servers on loopback, Postgres, Redis, child processes.
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
        },
      },
    ],
  },
});
