import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

describe("config", () => {
  it("stops the bot with a non-zero exit on a bad value", async () => {
    const run = promisify(execFile)("npx", ["tsx", "src/main.ts"], { env: { ...process.env, PORT: "-1", DATABASE_URL: "" } });
    await expect(run).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('PORT: got "-1"') });
  });
});
