#!/usr/bin/env node
// The agent runs from its TypeScript sources through tsx, like the rest of the repository
// (docs/decisions/0003-typescript-without-a-build-step.md).
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
