import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "stacks/**/*.test.ts", "test/**/*.test.ts"],
    // Emulators (DynamoDB Local, moto, PowerDNS) start once per run; each test file then
    // works in its own table / names, so files run in parallel without sharing state.
    globalSetup: ["test/harness/global-setup.ts"],
    setupFiles: ["test/harness/environment.ts"],
    pool: "forks",
    // The SDK warns once per process (every worker, every spawned npm start) that its releases after
    // January 2027 need Node 22; the pinned release runs on Node 20. Said once in the README instead.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/harness/summary-reporter.ts"],
  },
});
