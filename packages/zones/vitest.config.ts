import { defineConfig } from "vitest/config";

// The repository's root config starts emulators for the whole run; this package is pure and
// needs none, so it can be tested on its own: `npx vitest run --config packages/zones/vitest.config.ts`.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["test/**/*.test.ts"],
  },
});
