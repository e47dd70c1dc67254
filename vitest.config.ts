import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "stacks/**/*.test.ts", "test/**/*.test.ts"],
    // Emulators (DynamoDB Local, moto, PowerDNS) start once per run; each test file then
    // works in its own table / names, so files run in parallel without sharing state.
    globalSetup: ["test/harness/global-setup.ts"],
    setupFiles: ["test/harness/environment.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/harness/summary-reporter.ts"],
  },
});
