/**
 * SST's globals as `sst.config.ts` uses them, typed by the stacks' own view of SST
 * (`platform.ts`), so that `npm run typecheck` checks the config without `sst install` (which
 * downloads `.sst/platform/config.d.ts` and needs the network). Only `tsconfig.sst.json` reads
 * this file: the rest of the code base never sees these globals.
 */
import type { Platform } from "./platform.js";

declare global {
  const $app: Platform["app"];
  const $interpolate: Platform["interpolate"];
  const sst: { aws: Platform["aws"]; Secret: Platform["Secret"] };
  /** Pulumi's AWS provider. */
  const aws: { kms: Platform["kms"] };
  function $config(config: {
    app(input: { stage?: string } | undefined): {
      name: string;
      home: "aws";
      removal: "retain" | "remove";
      protect: boolean;
    };
    run(): Promise<Record<string, unknown>>;
  }): unknown;
}
