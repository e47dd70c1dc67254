/**
 * The AWS Lambda entry: API Gateway HTTP API (payload v2) events through `hono/aws-lambda`.
 *
 * Importing this module does nothing but define `handler`: the app, its routes and schemas and
 * the SDK clients are built when a request first needs them (lambda-app.ts, reached through a
 * dynamic import that the bundler keeps lazy: a health check builds the public app only) and
 * reused by every later invocation of the execution environment. `npm run bench:lambda` measures
 * what this saves at cold start.
 */
import type { LambdaContext, LambdaEvent } from "hono/aws-lambda";
import type { createLambdaHandler } from "./lambda-app.js";

type LambdaHandler = ReturnType<typeof createLambdaHandler>;

let ready: Promise<LambdaHandler> | undefined;

export async function handler(event: LambdaEvent, context: LambdaContext) {
  ready ??= import("./lambda-app.js")
    .then((module) => module.createLambdaHandler())
    .catch((error: unknown) => {
      ready = undefined; // a failed start (e.g. missing configuration) is retried next time
      throw error;
    });
  return (await ready)(event, context);
}
