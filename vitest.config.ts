import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: files in parallel beyond that only add contention.
    maxWorkers: 2,
    // Makes the migrated PGlite template that test databases and test apps start from.
    globalSetup: ["test/support/global-setup.ts"],
  },
});
