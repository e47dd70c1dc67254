import { randomUUID } from "node:crypto";
import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { describe, expect, it, vi } from "vitest";
import type { WorkLogger, WorkMessage } from "@charon/core";
import { freePort } from "@charon/local";
import { SqsWorkQueue, WorkQueueSendError, sqsBatchHandler } from "@charon/aws";
import { workQueueContract, type WorkQueueFixture } from "../../../test/contracts/work-queue.contract.js";

// The client finds moto through AWS_ENDPOINT_URL_SQS (test/harness/environment.ts); every test
// gets its own queue and dead-letter queue.
const client = new SQSClient({});
const MAX_RECEIVE_COUNT = 3;

async function createQueues(): Promise<{ queueUrl: string; deadLetterUrl: string }> {
  const name = `charon-work-${randomUUID()}`;
  const dlq = await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const deadLetterUrl = dlq.QueueUrl as string;
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ["QueueArn"] }),
  );
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        // Long enough that a batch being handled is never redelivered under a loaded machine;
        // failed items are made visible again by the consumer below instead.
        VisibilityTimeout: "30",
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl as string, deadLetterUrl };
}

/** The record Lambda's event source mapping builds from a received message. */
function toRecord(message: Message, queueUrl: string): SQSEvent["Records"][number] {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId as string,
    receiptHandle: message.ReceiptHandle as string,
    body: message.Body as string,
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? "0",
      SenderId: attributes.SenderId ?? "",
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? "0",
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody as string,
    eventSource: "aws:sqs",
    eventSourceARN: queueUrl,
    awsRegion: "us-east-1",
  };
}

/**
 * Stands in for Lambda's event source mapping: receives batches of up to 10, passes them to the
 * batch handler, deletes what succeeded and leaves the reported failures on the queue. Lambda
 * lets a failure wait out the visibility timeout; this makes it visible again at once, so the
 * tests do not wait 30 s per retry.
 */
function eventSourceMapping(queueUrl: string, run: (event: SQSEvent) => Promise<SQSBatchResponse>) {
  let running = true;
  const loop = (async () => {
    while (running) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ["All"],
        }),
      );
      if (Messages.length === 0) continue;
      const event: SQSEvent = { Records: Messages.map((m) => toRecord(m, queueUrl)) };
      const { batchItemFailures } = await run(event);
      const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
      const succeeded = event.Records.filter((r) => !failed.has(r.messageId));
      const retried = event.Records.filter((r) => failed.has(r.messageId));
      if (succeeded.length > 0) {
        await client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: succeeded.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
          }),
        );
      }
      if (retried.length > 0) {
        await client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: retried.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle, VisibilityTimeout: 0 })),
          }),
        );
      }
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

function silentLogger(): WorkLogger & { entries: Array<[string, Record<string, unknown>]> } {
  const entries: Array<[string, Record<string, unknown>]> = [];
  return {
    entries,
    warn: (message, ...extra) => entries.push([message, Object.assign({}, ...extra)]),
    error: (message, ...extra) => entries.push([message, Object.assign({}, ...extra)]),
  };
}

workQueueContract("SqsWorkQueue on moto", async (): Promise<WorkQueueFixture> => {
  const { queueUrl, deadLetterUrl } = await createQueues();
  let stopConsumer = async () => {};
  const deadLettered: WorkMessage[] = [];
  return {
    queue: new SqsWorkQueue({ queueUrl, client }),
    consume(handler) {
      stopConsumer = eventSourceMapping(queueUrl, sqsBatchHandler(handler, silentLogger()));
    },
    now: () => Date.now(),
    maxReceiveCount: MAX_RECEIVE_COUNT,
    async until(done, what) {
      await vi.waitFor(
        async () => {
          if (!(await done())) throw new Error(`still waiting for: ${what}`);
        },
        { timeout: 25_000, interval: 100 },
      );
    },
    async deadLettered() {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({ QueueUrl: deadLetterUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300 }),
      );
      deadLettered.push(...Messages.map((m) => JSON.parse(m.Body as string) as WorkMessage));
      return [...deadLettered];
    },
    stop: () => stopConsumer(),
  };
});

describe("SqsWorkQueue", () => {
  it("sends one JSON message with the delay in whole seconds", async () => {
    const { queueUrl } = await createQueues();
    const sent: Array<Record<string, unknown>> = [];
    const counting = new SQSClient({});
    counting.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === "SendMessageCommand") sent.push({ ...(args.input as Record<string, unknown>) });
        return next(args);
      },
      { step: "initialize", name: "recordSends" },
    );
    await new SqsWorkQueue({ queueUrl, client: counting }).send(
      { kind: "certificate.advance", certificateId: 4 },
      { delaySeconds: 0.2 },
    );
    expect(sent).toEqual([{ QueueUrl: queueUrl, MessageBody: '{"kind":"certificate.advance","certificateId":4}', DelaySeconds: 1 }]);
  });

  it("builds its own client from the SDK's configuration when none is given", async () => {
    const { queueUrl } = await createQueues();
    await new SqsWorkQueue({ queueUrl }).send({ kind: "certificate.advance", certificateId: 5 });
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));
    expect(Messages.map((m) => JSON.parse(m.Body as string))).toEqual([{ kind: "certificate.advance", certificateId: 5 }]);
  });

  it("wraps a failed send in WorkQueueSendError naming the queue", async () => {
    const unreachable = new SQSClient({ endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 1 });
    const queueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/charon-work";
    const error = await new SqsWorkQueue({ queueUrl, client: unreachable })
      .send({ kind: "certificate.advance", certificateId: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkQueueSendError);
    expect((error as Error).message).toMatch(/^SQS SendMessage of certificate\.advance to https:\/\/sqs\.us-east-1\.amazonaws\.com\/123456789012\/charon-work failed: /);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

describe("sqsBatchHandler", () => {
  it("drops malformed bodies with a log line, retrying only handlers that threw", async () => {
    const { queueUrl } = await createQueues();
    const bodies = [
      "not json",
      "[1]",
      '{"kind":"certificate.renew","certificateId":1}',
      '{"kind":"certificate.advance","certificateId":0}',
      '{"kind":"certificate.advance","certificateId":2}',
      '{"kind":"certificate.advance","certificateId":3}',
    ];
    for (const body of bodies) await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    const logger = silentLogger();
    const handled: number[] = [];
    const run = sqsBatchHandler(async (message) => {
      const certificateId = "certificateId" in message ? message.certificateId : Number.NaN;
      handled.push(certificateId);
      if (certificateId === 3) throw new Error("CA rejected the order");
    }, logger);

    const records: SQSEvent["Records"] = [];
    while (records.length < bodies.length) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"] }),
      );
      records.push(...Messages.map((m) => toRecord(m, queueUrl)));
    }
    const response = await run({ Records: records });

    const idOf = (body: string) => records.find((r) => r.body === body)?.messageId;
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: idOf(bodies[5] as string) }] });
    expect(handled.sort()).toEqual([2, 3]);
    expect(logger.entries.filter(([m]) => m === "dropped a malformed work message").map(([, e]) => e["reason"]).sort()).toEqual([
      "certificateId is not a positive integer",
      'kind "certificate.renew" is not a known message kind',
      "the body is not JSON",
      "the body is not a JSON object",
    ]);
    expect(logger.entries.find(([m]) => m.startsWith("work message failed"))?.[1]).toMatchObject({
      certificateId: 3,
      receiveCount: 1,
      error: "Error: CA rejected the order",
    });
  });
});
