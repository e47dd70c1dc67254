/**
 * What the Lambda entry builds on its first invocation: the services (`@charon/runtime/aws`,
 * shared with the worker) and the app (the same `createApp` as `npm start`). Kept out of
 * `lambda.ts` so that importing the entry evaluates none of it (see lambda.ts).
 */
import { handle } from "hono/aws-lambda";
import { Logger } from "@aws-lambda-powertools/logger";
import { createAwsServices } from "@charon/runtime/aws";
import { createApp } from "./app.js";

export function createLambdaHandler() {
  const logger = new Logger({ serviceName: "charon" });
  const services = createAwsServices(process.env, logger);
  return handle(createApp({ services, logger }));
}
