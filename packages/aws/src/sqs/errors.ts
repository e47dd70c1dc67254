import type { WorkMessage } from "@charon/core";

/** SQS refused or did not answer a `SendMessage`; names the queue and the message's kind. */
export class WorkQueueSendError extends Error {
  constructor(
    readonly queueUrl: string,
    message: WorkMessage,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`SQS SendMessage of ${message.kind} to ${queueUrl} failed: ${reason}`, { cause });
    this.name = "WorkQueueSendError";
  }
}
