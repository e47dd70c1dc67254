import {
  ConcurrentModificationError,
  NotFoundError,
  type AuditEntry,
  type LastDelivery,
  type NotificationRepository,
  type WebhookSubscription,
} from "@charon/core";
import { ConditionFailed, TransactionConflict, type DynamoTable, type Item } from "../dynamodb/table.js";
import { tableSchema } from "../dynamodb/schema.js";
import { sortableId } from "../dynamodb/sortable-id.js";
import { auditEntryPut } from "./audit-entries.js";
import { updateItem } from "./item-update.js";

/**
 * Items (packages/aws/README.md, "Notifications"):
 * - `WEBHOOK#<id>` / `WEBHOOK`: the subscription (the secret's name, never its value) and its
 *   `last_delivery`; gsi1 `WEBHOOKS` / `WEBHOOK#<id>` lists them.
 * - `WEBHOOK#<id>` / `DELIVERY#<event id>`: one event's delivery to it: `next_attempt` (0 once
 *   delivered or given up), `lease_until` while an attempt runs, removed by TTL after `keepUntil`.
 */
export class DynamoNotificationRepository implements NotificationRepository {
  constructor(private readonly table: DynamoTable) {}

  async get(id: number): Promise<WebhookSubscription | undefined> {
    const item = await this.table.get<Item>(subscriptionKey(id), true);
    return item ? fromItem(item) : undefined;
  }

  async list(): Promise<WebhookSubscription[]> {
    return (await this.table.queryAll<Item>({ partition: LIST, index: "gsi1" })).map(fromItem);
  }

  async create(subscription: Omit<WebhookSubscription, "id">, audit: (id: number) => AuditEntry): Promise<WebhookSubscription> {
    const id = await this.table.nextId("webhook");
    const stored: WebhookSubscription = { ...subscription, id };
    await this.table.transact([
      { Put: { TableName: this.table.name, Item: toItem(stored), ConditionExpression: "attribute_not_exists(pk)" } },
      auditEntryPut(this.table.name, audit(id)),
    ]);
    return stored;
  }

  async update(subscription: WebhookSubscription, expectedUpdatedAt: string, audit: AuditEntry): Promise<void> {
    // The settings only: `last_delivery` is written by deliveries meanwhile and must survive.
    try {
      await this.table.transact([
        {
          Update: {
            TableName: this.table.name,
            Key: subscriptionKey(subscription.id),
            UpdateExpression:
              "SET #url = :url, events = :events, enabled = :enabled, expiring_days = :days, secret_name = :secret, updated_at = :updated",
            ConditionExpression: "updated_at = :expected",
            ExpressionAttributeNames: { "#url": "url" },
            ExpressionAttributeValues: {
              ":url": subscription.url,
              ":events": subscription.events,
              ":enabled": subscription.enabled,
              ":days": subscription.expiringDays,
              ":secret": subscription.secretName,
              ":updated": subscription.updatedAt,
              ":expected": expectedUpdatedAt,
            },
          },
        },
        auditEntryPut(this.table.name, audit),
      ]);
    } catch (error) {
      if (error instanceof TransactionConflict && error.firstFailed() === 0) {
        throw new ConcurrentModificationError("Notification", subscription.id, { cause: error });
      }
      throw error;
    }
  }

  async delete(subscription: WebhookSubscription, audit: AuditEntry): Promise<void> {
    try {
      await this.table.transact([
        { Delete: { TableName: this.table.name, Key: subscriptionKey(subscription.id), ConditionExpression: "attribute_exists(pk)" } },
        auditEntryPut(this.table.name, audit),
      ]);
    } catch (error) {
      if (error instanceof TransactionConflict && error.firstFailed() === 0) throw new NotFoundError("Notification", subscription.id);
      throw error;
    }
  }

  async claimDelivery(
    subscriptionId: number,
    eventId: string,
    attempt: number,
    now: Date,
    leaseUntil: Date,
    keepUntil: Date,
  ): Promise<boolean> {
    // The first attempt may create the marker; a later one must be the attempt the marker awaits.
    // Either may take over an attempt whose holder's lease ran out (a worker that died).
    const condition =
      attempt === 1
        ? "attribute_not_exists(pk) OR (next_attempt = :attempt AND lease_until < :now)"
        : "next_attempt = :attempt AND (#state = :waiting OR lease_until < :now)";
    try {
      await updateItem(this.table, deliveryKey(subscriptionId, eventId), {
        expression: "SET next_attempt = :attempt, #state = :sending, lease_until = :until, #ttl = :ttl",
        condition,
        names: { "#state": "state", "#ttl": tableSchema.ttlAttribute },
        values: {
          ":attempt": attempt,
          ":now": now.toISOString(),
          ":until": leaseUntil.toISOString(),
          ":sending": "sending",
          ":ttl": Math.ceil(keepUntil.getTime() / 1000),
          ...(attempt === 1 ? {} : { ":waiting": "waiting" }),
        },
      });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }

  async recordDelivery(subscriptionId: number, eventId: string, outcome: LastDelivery, retrying: boolean): Promise<void> {
    const marker = {
      Update: {
        TableName: this.table.name,
        Key: deliveryKey(subscriptionId, eventId),
        UpdateExpression: "SET next_attempt = :next, #state = :state REMOVE lease_until",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: {
          ":next": retrying ? outcome.attempt + 1 : 0,
          ":state": retrying ? "waiting" : outcome.error === null ? "delivered" : "given_up",
        },
      },
    };
    try {
      await this.table.transact([
        marker,
        {
          Update: {
            TableName: this.table.name,
            Key: subscriptionKey(subscriptionId),
            UpdateExpression: "SET last_delivery = :outcome",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":outcome": deliveryItem(outcome) },
          },
        },
      ]);
    } catch (error) {
      // Deleted while the attempt ran: the marker alone still stops duplicates.
      if (!(error instanceof TransactionConflict && error.firstFailed() === 1)) throw error;
      await this.table.transact([marker]);
    }
  }
}

const LIST = "WEBHOOKS";

function subscriptionKey(id: number) {
  return { pk: `WEBHOOK#${id}`, sk: "WEBHOOK" };
}

function deliveryKey(subscriptionId: number, eventId: string) {
  return { pk: `WEBHOOK#${subscriptionId}`, sk: `DELIVERY#${eventId}` };
}

function toItem(subscription: WebhookSubscription): Item {
  return {
    ...subscriptionKey(subscription.id),
    gsi1pk: LIST,
    gsi1sk: `WEBHOOK#${sortableId(subscription.id)}`,
    id: subscription.id,
    url: subscription.url,
    events: subscription.events,
    enabled: subscription.enabled,
    expiring_days: subscription.expiringDays,
    secret_name: subscription.secretName,
    created_at: subscription.createdAt,
    updated_at: subscription.updatedAt,
    last_delivery: subscription.lastDelivery === null ? null : deliveryItem(subscription.lastDelivery),
  };
}

function deliveryItem(outcome: LastDelivery): Item {
  return {
    at: outcome.at,
    event_id: outcome.eventId,
    event_type: outcome.eventType,
    attempt: outcome.attempt,
    http_status: outcome.httpStatus,
    error: outcome.error,
    gave_up: outcome.gaveUp,
  };
}

function fromItem(item: Item): WebhookSubscription {
  const last = item["last_delivery"] as Record<string, unknown> | null | undefined;
  return {
    id: Number(item["id"]),
    url: item["url"] as string,
    events: item["events"] as WebhookSubscription["events"],
    enabled: item["enabled"] as boolean,
    expiringDays: Number(item["expiring_days"]),
    secretName: item["secret_name"] as string,
    createdAt: item["created_at"] as string,
    updatedAt: item["updated_at"] as string,
    lastDelivery: last
      ? {
          at: last["at"] as string,
          eventId: last["event_id"] as string,
          eventType: last["event_type"] as LastDelivery["eventType"],
          attempt: Number(last["attempt"]),
          httpStatus: last["http_status"] === null ? null : Number(last["http_status"]),
          error: (last["error"] as string | null) ?? null,
          gaveUp: Boolean(last["gave_up"]),
        }
      : null,
  };
}
