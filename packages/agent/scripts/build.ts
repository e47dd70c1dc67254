/**
 * Bundles the agent into one file, `dist/charon-agent.mjs`, run by plain `node` (bin/charon-agent.js).
 * The agent runs for months beside the user's proxy: under tsx it would carry a TypeScript loader
 * (its own thread and V8 isolate, ~50 MiB) for nothing; bundled it needs about half the memory
 * (`npm run bench:agent`, decision 0027). esbuild is the bundler the stacks already use.
 */
import { build } from "esbuild";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Writes `dist/charon-agent.mjs` (~0.2 s); the test run calls it once, so tests run the agent as it ships. */
export async function buildAgent(): Promise<void> {
  await build({
    absWorkingDir: root,
    entryPoints: ["src/cli.ts"],
    outfile: "dist/charon-agent.mjs",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Dependencies written as CommonJS call require(); ESM output has none unless given one.
    banner: { js: 'import { createRequire as __charonRequire } from "node:module"; const require = __charonRequire(import.meta.url);' },
    logLevel: "warning",
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await buildAgent();
