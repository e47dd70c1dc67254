/**
 * What the Lambda entry builds on its first invocation. Kept out of `lambda.ts` so that importing
 * the entry evaluates none of it (see lambda.ts).
 *
 * Two apps behind one handler, each built when a request first needs it: the public app
 * (`createPublicApp`: the health check on the middleware every request goes through) answers the
 * paths it declares; every other request goes to the whole API (`lambda-api.ts`: the services of
 * `@charon/runtime/aws`, shared with the worker, and the same `createApp` as `npm start`), a chunk
 * of its own with the route groups, their schemas and the AWS SDK. A health check on a cold
 * function therefore loads none of those. Both apps declare the public routes identically, so the
 * answer is the same whichever serves it (packages/api/test/lambda.test.ts).
 */
import { handle, type LambdaContext, type LambdaEvent } from "hono/aws-lambda";
import { deferredLogger } from "@charon/runtime/logger";
import { createPublicApp } from "./base-app.js";
import type { createApiHandler } from "./lambda-api.js";

type LambdaHandler = ReturnType<typeof createApiHandler>;

export function createLambdaHandler() {
  // Powertools' Logger (JSON lines) is built when a first line is logged; every answer waits for its lines.
  const logger = deferredLogger(() =>
    import("@aws-lambda-powertools/logger").then(({ Logger }) => new Logger({ serviceName: "charon" })),
  );
  const publicApp = createPublicApp({ logger });
  // The public routes have fixed paths (no parameters): a set lookup decides.
  const publicPaths = new Set(publicApp.routes.filter((route) => route.method !== "ALL").map((route) => route.path));
  const answerPublic = handle(publicApp);
  let api: Promise<LambdaHandler> | undefined;
  const answer = async (event: LambdaEvent, context: LambdaContext) => {
    if (publicPaths.has(pathOf(event))) return answerPublic(event, context);
    api ??= import("./lambda-api.js")
      .then((module) => module.createApiHandler(logger))
      .catch((error: unknown) => {
        api = undefined; // a failed start (e.g. missing configuration) is retried next time
        throw error;
      });
    return (await api)(event, context);
  };
  return async (event: LambdaEvent, context: LambdaContext) => {
    try {
      return await answer(event, context);
    } finally {
      await logger.flushed();
    }
  };
}

/** The request path of an API Gateway (HTTP API v2: `rawPath`; REST API v1), ALB or Lattice event. */
function pathOf(event: LambdaEvent): string {
  return "rawPath" in event ? event.rawPath : event.path;
}
