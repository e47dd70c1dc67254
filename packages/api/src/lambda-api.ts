/**
 * The whole API on Lambda, built on the first request that the public app does not answer
 * (lambda-app.ts): the services of `@charon/runtime/aws` (shared with the worker) and the same
 * `createApp` as `npm start`.
 */
import { handle } from "hono/aws-lambda";
import { createAwsServices } from "@charon/runtime/aws";
import { createApp } from "./app.js";
import type { Logger } from "./logger.js";

export function createApiHandler(logger: Logger) {
  return handle(createApp({ services: createAwsServices(process.env, logger), logger }));
}
