/**
 * The worker Lambda's entry: batches of the work queue (SQS event source mapping with
 * `ReportBatchItemFailures`, stacks/work.ts). Importing it builds nothing; the first invocation
 * composes the services and the handler (`queue-app.ts`), later ones reuse them.
 */
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";

type BatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

let ready: Promise<BatchHandler> | undefined;

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  ready ??= import("./queue-app.js")
    .then((module) => module.createQueueHandler())
    .catch((error: unknown) => {
      ready = undefined; // a failed start (e.g. missing configuration) is retried next time
      throw error;
    });
  return (await ready)(event);
}
