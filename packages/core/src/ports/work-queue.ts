import type { DeliveryMessage, PublishMessage } from "../notifications/service.js";
import { notificationMessage } from "../notifications/messages.js";

/**
 * The work queue: how a wait costs nothing. A step that must wait (DNS propagation, the CA's
 * processing, a `Retry-After`, a backoff) sends its follow-up as a delayed message and returns,
 * instead of sleeping. Adapters: SQS on AWS (`@charon/aws`), an in-process queue under `npm start`
 * (`@charon/local`). Delivery is at least once, so every handler is idempotent.
 */

/** One unit of work, by kind. Bodies are small JSON (SQS allows 256 KiB). */
export type WorkMessage =
  /** Advance the certificate's current order by as many steps as can run now (issuance, renewal). */
  | { kind: "certificate.advance"; certificateId: number }
  /** Fan an event out to the subscriptions that asked for its type. */
  | PublishMessage
  /** One delivery attempt of an event to one webhook subscription. */
  | DeliveryMessage;

/** SQS's longest delay (`DelaySeconds`, 0–900); longer waits are re-sent in hops by the consumer. */
export const MAX_DELAY_SECONDS = 900;

export interface WorkQueue {
  /**
   * Enqueues `message`, delivered no sooner than `delaySeconds` from now (0–900, rounded up to
   * whole seconds; more than 900 is a programming error the adapter rejects).
   */
  send(message: WorkMessage, options?: { delaySeconds?: number }): Promise<void>;
}

/**
 * Consumes one message. Returning means the message is done (any follow-up was sent with
 * `WorkQueue.send` first); throwing means it is redelivered later (SQS: after the visibility
 * timeout, then the dead-letter queue after `maxReceiveCount`).
 */
export type WorkHandler = (message: WorkMessage) => Promise<void>;

/** What queue consumers need of a logger (Powertools' Logger and the API's fit it). */
export interface WorkLogger {
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

/**
 * `options.delaySeconds` as the whole seconds every adapter sends: rounded up (a wait is never
 * cut short), 0 when absent. Throws `RangeError` for a negative, non-finite or >900 delay.
 */
export function wholeDelaySeconds(delaySeconds: number | undefined): number {
  if (delaySeconds === undefined) return 0;
  if (!Number.isFinite(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS) {
    throw new RangeError(`delaySeconds must be between 0 and ${MAX_DELAY_SECONDS}, got ${delaySeconds}`);
  }
  return Math.ceil(delaySeconds);
}

/**
 * Reads a message body as a consumer receives it. Returns the message, or the reason it is not
 * one (for the log: a malformed body is dropped, since redelivering it can never succeed).
 */
export function parseWorkMessage(body: string): { message: WorkMessage } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { problem: "the body is not JSON" };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { problem: "the body is not a JSON object" };
  }
  const { kind, certificateId } = parsed as Record<string, unknown>;
  if (kind === "notification.publish" || kind === "notification.deliver") return notificationMessage(parsed as Record<string, unknown>);
  if (kind !== "certificate.advance") {
    return { problem: `kind ${JSON.stringify(kind) ?? "(missing)"} is not a known message kind` };
  }
  if (typeof certificateId !== "number" || !Number.isSafeInteger(certificateId) || certificateId < 1) {
    return { problem: "certificateId is not a positive integer" };
  }
  return { message: { kind, certificateId } };
}
