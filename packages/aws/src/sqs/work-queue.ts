import type * as SqsModule from "@aws-sdk/client-sqs";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { wholeDelaySeconds, type WorkMessage, type WorkQueue } from "@charon/core";
import { WorkQueueSendError } from "./errors.js";

// The SQS client is loaded on the first send, not when a function starts: most API requests
// never send, and the worker's cold start is measured against a hello-world handler.
let sdk: Promise<typeof SqsModule> | undefined;
const loadSdk = () => (sdk ??= import("@aws-sdk/client-sqs"));

export interface SqsWorkQueueOptions {
  /** The queue's URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
  queueUrl: string;
  /**
   * The SDK client to send with; by default one built on first use with the SDK's standard
   * configuration (region, credentials, and `AWS_ENDPOINT_URL_SQS` for emulators).
   */
  client?: SQSClient;
}

/**
 * `WorkQueue` on Amazon SQS: each message is one `SendMessage` with a JSON body and
 * `DelaySeconds` (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
 * The worker consumes them through `sqsBatchHandler`.
 */
export class SqsWorkQueue implements WorkQueue {
  private client: SQSClient | undefined;

  constructor(private readonly options: SqsWorkQueueOptions) {
    this.client = options.client;
  }

  /** RangeError for a delay outside 0–900 s; `WorkQueueSendError` (with the SDK's as cause) when SQS fails. */
  async send(message: WorkMessage, options?: { delaySeconds?: number }): Promise<void> {
    const delaySeconds = wholeDelaySeconds(options?.delaySeconds);
    const { SQSClient, SendMessageCommand } = await loadSdk();
    this.client ??= new SQSClient({});
    const command = new SendMessageCommand({
      QueueUrl: this.options.queueUrl,
      MessageBody: JSON.stringify(message),
      DelaySeconds: delaySeconds,
    });
    try {
      await this.client.send(command);
    } catch (error) {
      throw new WorkQueueSendError(this.options.queueUrl, message, error);
    }
  }
}
