import type { WorkMessage } from "../ports/work-queue.js";
import { MAX_DELIVERY_ATTEMPTS, NOTIFICATION_EVENTS, type NotificationEvent } from "./subscription.js";

/**
 * A `notification.publish` or `notification.deliver` body as a consumer receives it: the message,
 * or what is wrong with it (logged and dropped, since redelivering it can never succeed).
 */
export function notificationMessage(body: Record<string, unknown>): { message: WorkMessage } | { problem: string } {
  const event = eventOf(body["event"]);
  if (typeof event === "string") return { problem: event };
  if (body["kind"] === "notification.publish") return { message: { kind: "notification.publish", event } };
  const { subscriptionId, attempt, notBefore, keepUntil } = body;
  if (typeof subscriptionId !== "number" || !Number.isSafeInteger(subscriptionId) || subscriptionId < 1) {
    return { problem: "subscriptionId is not a positive integer" };
  }
  if (typeof attempt !== "number" || !Number.isInteger(attempt) || attempt < 1 || attempt > MAX_DELIVERY_ATTEMPTS) {
    return { problem: `attempt is not a whole number from 1 to ${MAX_DELIVERY_ATTEMPTS}` };
  }
  for (const [name, value] of Object.entries({ notBefore, keepUntil })) {
    if (value !== undefined && (typeof value !== "string" || Number.isNaN(Date.parse(value)))) return { problem: `${name} is not a time` };
  }
  return {
    message: {
      kind: "notification.deliver",
      subscriptionId,
      event,
      attempt,
      ...(typeof notBefore === "string" ? { notBefore } : {}),
      ...(typeof keepUntil === "string" ? { keepUntil } : {}),
    },
  };
}

function eventOf(value: unknown): NotificationEvent | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "event is not an object";
  const { id, type, occurred_at, data } = value as Record<string, unknown>;
  if (typeof id !== "string" || id.length === 0) return "event.id is not a string";
  if (!NOTIFICATION_EVENTS.includes(type as never)) return `event.type ${JSON.stringify(type) ?? "(missing)"} is not a known event type`;
  if (typeof occurred_at !== "string" || Number.isNaN(Date.parse(occurred_at))) return "event.occurred_at is not a time";
  if (typeof data !== "object" || data === null || Array.isArray(data)) return "event.data is not an object";
  return { id, type: type as NotificationEvent["type"], occurred_at, data: data as Record<string, unknown> };
}
