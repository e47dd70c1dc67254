import { createHash } from "node:crypto";
import type { FunctionBundle } from "./bundle.js";
import type { AcmeEab } from "./ca.js";
import { listSecrets, queueSend, keyUse, secretsAccess, tableAccess } from "./access.js";
import type { Platform } from "./platform.js";
import type { Storage } from "./storage.js";

/** The worker's time limit: one step of an order (waits are delayed messages, not time spent here). */
export const WORKER_TIMEOUT_SECONDS = 60;

/**
 * How many workers the queue's event source runs at once, at most (the mapping's
 * `ScalingConfig.MaximumConcurrency`, 2 to 1000). Without it 1 000 requested certificates scale
 * the worker out to as many; the DNS provider slots and the CA's new-order budget
 * (CHARON_DNS_PROVIDER_CONCURRENCY, CHARON_ACME_NEW_ORDER_LIMIT) bound what they do, this bounds
 * how many wake up to find out, and leaves the account's Lambda concurrency to the API.
 */
export const WORKER_MAX_CONCURRENCY = 20;
/**
 * A message stays invisible this long after a receive: six times the worker's timeout, as AWS
 * advises for a Lambda event source (the batching window is 0, so nothing is added:
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html), so a batch still
 * being worked on is never handed to a second worker.
 */
export const WORK_VISIBILITY_TIMEOUT_SECONDS = 6 * WORKER_TIMEOUT_SECONDS;
/** Receives before a message moves to the dead-letter queue (each failure is logged by the worker). */
export const WORK_MAX_RECEIVES = 5;

/**
 * When the sweep runs: twice a day, twelve hours apart (RFC 9773 asks for renewal information
 * at least twice a day), at a minute and hour drawn from the stage's name, so that deployments do
 * not all call their CA at the top of the hour, yet a redeploy keeps its time. An EventBridge
 * Scheduler cron expression (minutes hours day-of-month month day-of-week year), UTC.
 */
export function sweepSchedule(stage: string): string {
  const seed = createHash("sha256").update(`charon-sweep:${stage}`).digest();
  const minute = seed.readUInt16BE(0) % 60;
  const hour = seed.readUInt16BE(2) % 12;
  return `cron(${minute} ${hour},${hour + 12} * * ? *)`;
}

/**
 * The work queue and its dead-letter queue, the worker that consumes it (packages/worker/src/queue.ts,
 * partial batch responses) and the sweep (packages/worker/src/sweep.ts: renewals, then orphaned
 * secrets). Each function is allowed only what it touches.
 */
export function work(
  platform: Platform,
  { table, secretsPrefix, key }: Storage,
  bundles: { worker: FunctionBundle; sweep: FunctionBundle },
  /** `caEnvironment()`: the CA the worker orders from. */
  ca: Record<string, string> = {},
  /** `acmeEab()`: the CA's external account binding, for the worker only. */
  eab?: AcmeEab,
) {
  const deadLetters = new platform.aws.Queue("WorkDeadLetters");
  const queue = new platform.aws.Queue("Work", {
    visibilityTimeout: `${WORK_VISIBILITY_TIMEOUT_SECONDS} seconds`,
    dlq: { queue: deadLetters.arn, retry: WORK_MAX_RECEIVES },
  });
  queue.subscribe(
    {
      bundle: bundles.worker.directory,
      handler: bundles.worker.handler,
      runtime: "nodejs22.x",
      architecture: "arm64",
      // Key generation (RSA up to 4096 bits) is CPU-bound, and Lambda's CPU grows with memory.
      memory: "512 MB",
      timeout: `${WORKER_TIMEOUT_SECONDS} seconds`,
      environment: {
        CHARON_TABLE_NAME: table.name,
        CHARON_SECRETS_PREFIX: secretsPrefix,
        CHARON_WORK_QUEUE_URL: queue.url,
        CHARON_KMS_KEY_ID: key.arn,
        ...ca,
        ...eab?.environment,
      },
      // Only the EAB HMAC key (an SST secret, no permission): the AWS resources are granted below.
      ...(eab ? { link: eab.link } : {}),
      permissions: [
        tableAccess(platform, table, "write"),
        // DNS credentials are read; ACME account keys are created once, then read.
        secretsAccess(secretsPrefix, ["CreateSecret", "GetSecretValue"]),
        queueSend(queue),
        keyUse(key, ["GenerateDataKey", "Decrypt"]),
      ],
    },
    // A batch arrives as soon as there is a message (SST's default window is 20 s); only the
    // messages that failed come back (`batchItemFailures`).
    {
      batch: { size: 10, window: "0 seconds", partialResponses: true },
      transform: { eventSourceMapping: { scalingConfig: { maximumConcurrency: WORKER_MAX_CONCURRENCY } } },
    },
  );
  new platform.aws.CronV2("Sweep", {
    schedule: sweepSchedule(platform.app.stage),
    function: {
      bundle: bundles.sweep.directory,
      handler: bundles.sweep.handler,
      runtime: "nodejs22.x",
      architecture: "arm64",
      memory: "256 MB",
      // Lambda's longest: a sweep fetches the renewal information of every certificate whose
      // check is due (8 at a time), which twice a day can be most of them.
      timeout: "15 minutes",
      // The CA: renewal orders name its directory, and its renewal information is fetched. No KMS
      // key: the sweep opens orders, the worker seals their keys.
      environment: {
        CHARON_TABLE_NAME: table.name,
        CHARON_SECRETS_PREFIX: secretsPrefix,
        CHARON_WORK_QUEUE_URL: queue.url,
        ...ca,
      },
      permissions: [
        // Renewal schedules, orders opened, failure counters.
        tableAccess(platform, table, "write"),
        queueSend(queue),
        listSecrets,
        secretsAccess(secretsPrefix, ["DeleteSecret"]),
      ],
    },
  });
  return { queue, deadLetters };
}
