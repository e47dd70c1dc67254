/**
 * What the worker builds on its first invocation: the services of `@charon/runtime/aws` and the
 * one `WorkHandler` (`createWorkHandler`, also run by `npm start`), behind `sqsBatchHandler`: each
 * record of a batch runs on its own, and only those that threw come back (`batchItemFailures`).
 * No Hono and no schemas are reachable from here.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { sqsBatchHandler } from "@charon/aws";
import { createWorkHandler } from "@charon/runtime";
import { createAwsServices } from "@charon/runtime/aws";

export function createQueueHandler() {
  const logger = new Logger({ serviceName: "charon-worker" });
  const services = createAwsServices(process.env, logger);
  return sqsBatchHandler(createWorkHandler(services, logger), logger);
}
