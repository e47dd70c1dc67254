/**
 * The scheduled sweep's Lambda entry (EventBridge Scheduler, `stacks/work.ts`: twice a day). Importing
 * it builds nothing; the first invocation composes the services (`sweep-app.ts`) and later ones
 * reuse them. What a sweep does is in `sweep-app.ts`.
 */
import type { SweepSummary } from "./sweep-app.js";

let ready: Promise<() => Promise<SweepSummary>> | undefined;

export async function handler(): Promise<SweepSummary> {
  ready ??= import("./sweep-app.js")
    .then((module) => module.createSweep())
    .catch((error: unknown) => {
      ready = undefined; // a failed start (e.g. missing configuration) is retried next time
      throw error;
    });
  return (await ready)();
}
