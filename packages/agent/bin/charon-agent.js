#!/usr/bin/env node
// The agent as it ships: one bundled file run by plain node (scripts/build.ts; decision 0027).
import { access } from "node:fs/promises";

const bundle = new URL("../dist/charon-agent.mjs", import.meta.url);
try {
  await access(bundle);
} catch {
  console.error("charon-agent is not built: run `npm run build --workspace=packages/agent` (npm run agent does it)");
  process.exit(1);
}
await import(bundle.href);
