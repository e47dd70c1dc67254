/**
 * What the worker builds on its first invocation: the services of `@charon/runtime/aws` and the
 * one `WorkHandler` (`createWorkHandler`, also run by `npm start`), behind `sqsBatchHandler`: each
 * record of a batch runs on its own, and only those that threw come back (`batchItemFailures`).
 * No Hono and no schemas are reachable from here.
 */
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { sqsBatchHandler } from "@charon/aws";
import { createWorkHandler } from "@charon/runtime";
import { createAwsServices } from "@charon/runtime/aws";
import { deferredLogger } from "@charon/runtime/logger";

export function createQueueHandler() {
  // Powertools' Logger (JSON lines) is built when a first line is logged; every batch waits for its lines.
  const logger = deferredLogger(() =>
    import("@aws-lambda-powertools/logger").then(({ Logger }) => new Logger({ serviceName: "charon-worker" })),
  );
  const services = createAwsServices(process.env, logger);
  const handle = sqsBatchHandler(createWorkHandler(services, logger), logger);
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    try {
      return await handle(event);
    } finally {
      await logger.flushed();
    }
  };
}
