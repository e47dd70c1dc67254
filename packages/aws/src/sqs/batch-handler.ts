import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { parseWorkMessage, type WorkHandler, type WorkLogger } from "@charon/core";

/**
 * The worker Lambda's SQS handler: runs `handler` on every record of the batch side by side and
 * reports the ones that threw as `batchItemFailures`, so only those come back after the
 * visibility timeout (the event source mapping needs `ReportBatchItemFailures`:
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html). A body that is
 * not a work message is logged and dropped: redelivering it could never succeed.
 */
export function sqsBatchHandler(
  handler: WorkHandler,
  logger: WorkLogger,
): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const runRecord = async (record: SQSRecord): Promise<boolean> => {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    const parsed = parseWorkMessage(record.body);
    if ("problem" in parsed) {
      logger.error("dropped a malformed work message", { messageId: record.messageId, reason: parsed.problem });
      return true;
    }
    try {
      await handler(parsed.message);
      return true;
    } catch (error) {
      logger.warn("work message failed; it will be delivered again", {
        ...parsed.message,
        messageId: record.messageId,
        receiveCount,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      return false;
    }
  };
  return async (event) => {
    const done = await Promise.all(event.Records.map(runRecord));
    return {
      batchItemFailures: event.Records.filter((_, i) => !done[i]).map((r) => ({ itemIdentifier: r.messageId })),
    };
  };
}
