import type { AuditEntry } from "../audit/entry.js";
import type { LastDelivery, WebhookSubscription } from "./subscription.js";

/** Storage of webhook subscriptions and of each (event, subscription) delivery's progress. */
export interface NotificationRepository {
  get(id: number): Promise<WebhookSubscription | undefined>;
  /** Every subscription, lowest id first (at most MAX_SUBSCRIPTIONS exist). */
  list(): Promise<WebhookSubscription[]>;
  /** Stores a new subscription under a new id, with its audit entry. */
  create(
    subscription: Omit<WebhookSubscription, "id">,
    audit: (id: number) => AuditEntry,
  ): Promise<WebhookSubscription>;
  /** Replaces the subscription if it was not changed since `expectedUpdatedAt` (else 409). */
  update(subscription: WebhookSubscription, expectedUpdatedAt: string, audit: AuditEntry): Promise<void>;
  delete(subscription: WebhookSubscription, audit: AuditEntry): Promise<void>;
  /**
   * Takes attempt `attempt` of delivering `eventId` to `subscriptionId` until `leaseUntil`: only
   * when that attempt is the next one due and nobody holds it (a duplicate message, an attempt
   * already made or a delivery already done get false). `keepUntil`: when the marker may go.
   */
  claimDelivery(
    subscriptionId: number,
    eventId: string,
    attempt: number,
    now: Date,
    leaseUntil: Date,
    keepUntil: Date,
  ): Promise<boolean>;
  /**
   * Records the attempt's outcome: on the delivery (done, or attempt `attempt + 1` due) and as the
   * subscription's `last_delivery` (skipped when the subscription is gone).
   */
  recordDelivery(subscriptionId: number, eventId: string, outcome: LastDelivery, retrying: boolean): Promise<void>;
}
