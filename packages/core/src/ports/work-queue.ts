/**
 * The work queue: how a wait costs nothing. A step that must wait (DNS propagation, the CA's
 * processing, a `Retry-After`, a backoff) sends its follow-up as a delayed message and returns,
 * instead of sleeping. Adapters: SQS on AWS (`@charon/aws`), an in-process queue under `npm start`
 * (`@charon/local`). Delivery is at least once, so every handler is idempotent.
 */

/** One unit of work, by kind. Bodies are small JSON (SQS allows 256 KiB). */
export type WorkMessage =
  /** Advance the certificate's current order by as many steps as can run now (issuance, renewal). */
  { kind: "certificate.advance"; certificateId: number };

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
