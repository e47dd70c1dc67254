import { z } from "@hono/zod-openapi";
import { URL_RULE, urlPattern } from "./urls.js";
import {
  DEFAULT_EXPIRING_DAYS,
  MAX_DELIVERY_ATTEMPTS,
  MAX_EXPIRING_DAYS,
  MIN_EXPIRING_DAYS,
  NOTIFICATION_EVENTS,
  SECRET_PATTERN,
  type WebhookSubscription,
} from "@charon/core";

const EventsSchema = z
  .array(z.enum(NOTIFICATION_EVENTS))
  .min(1)
  .max(NOTIFICATION_EVENTS.length)
  .refine((events) => new Set(events).size === events.length, "must not repeat an event")
  .openapi({ uniqueItems: true, description: "The events to send", example: ["certificate_failed", "certificate_expiring"] });

/**
 * `http://` or `https://`, one pattern for the document and the server: every match is a URL
 * Node's parser reads (urls.ts), so a URL the document allows is never "not a URL" here.
 */
const URL_PATTERN = urlPattern("https?", { ipv4: true });

const UrlSchema = z
  .string()
  .max(2048)
  .regex(URL_PATTERN, `must be an http:// or https:// URL: ${URL_RULE}`)
  .openapi({
    pattern: URL_PATTERN.source,
    description:
      `Where events are POSTed: ${URL_RULE}, or an IPv4 address for the host. Only addresses the server's outbound policy allows (public ones; loopback and private ranges only as CHARON_OUTBOUND_ALLOW says), checked here and again at each connection; redirects are not followed`,
    example: "https://hooks.example.com/charon",
  });

const ExpiringDaysSchema = z
  .number()
  .int()
  .min(MIN_EXPIRING_DAYS)
  .max(MAX_EXPIRING_DAYS)
  .openapi({ description: "certificate_expiring fires once a certificate that is not renewed has fewer days than this left" });

const SecretSchema = z
  .string()
  .regex(SECRET_PATTERN, "must be whsec_ followed by base64 of 24 to 64 bytes")
  .openapi({
    description: "The Standard Webhooks signing secret (write-only); generated when absent and shown once in the create's answer",
    pattern: SECRET_PATTERN.source,
    writeOnly: true,
  });

export const NotificationCreateSchema = z
  .strictObject({
    url: UrlSchema,
    events: EventsSchema,
    enabled: z.boolean().default(true),
    expiring_days: ExpiringDaysSchema.default(DEFAULT_EXPIRING_DAYS),
    secret: SecretSchema.optional(),
  })
  .openapi("NotificationCreate");

export const NotificationUpdateSchema = z
  .strictObject({
    url: UrlSchema.optional(),
    events: EventsSchema.optional(),
    enabled: z.boolean().optional(),
    expiring_days: ExpiringDaysSchema.optional(),
    secret: SecretSchema.optional().openapi({ description: "A new signing secret (write-only): replaces the old one at once" }),
  })
  .openapi("NotificationUpdate");

const LastDeliverySchema = z
  .object({
    at: z.string().openapi({ description: "When the attempt ended" }),
    event_id: z.string(),
    event_type: z.enum(NOTIFICATION_EVENTS),
    attempt: z.number().int().min(1).max(MAX_DELIVERY_ATTEMPTS),
    http_status: z.number().int().nullable().openapi({ description: "The receiver's status; null when it did not answer" }),
    error: z.string().nullable().openapi({ description: "Why the attempt failed; null after a 2xx" }),
    gave_up: z.boolean().openapi({ description: "True after the last attempt of an event that never got a 2xx" }),
  })
  .openapi("NotificationDelivery");

export const NotificationSchema = z
  .object({
    id: z.number().int(),
    url: z.string(),
    events: z.array(z.enum(NOTIFICATION_EVENTS)),
    enabled: z.boolean(),
    expiring_days: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    last_delivery: LastDeliverySchema.nullable().openapi({ description: "The last delivery attempt; null before the first" }),
  })
  .openapi("Notification");

export const NotificationSavedSchema = NotificationSchema.extend({
  secret: z.string().optional().openapi({
    description: "The signing secret: in the answer of a create, and of a PATCH that set one; never again",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  }),
}).openapi("NotificationSaved");

export const NotificationListSchema = z.array(NotificationSchema).openapi("NotificationList");

/** What the document says of a PATCH: at least one field (the service refuses an empty one). */
export const NOTIFICATION_UPDATE_RULE = {
  anyOf: ["url", "events", "enabled", "expiring_days", "secret"].map((field) => ({ required: [field] })),
};

/** What a subscription's GET shows that a write does not set. */
export const NOTIFICATION_READ_ONLY = ["id", "created_at", "updated_at", "last_delivery"];

export function notificationBody(subscription: WebhookSubscription): z.infer<typeof NotificationSchema> {
  const last = subscription.lastDelivery;
  return {
    id: subscription.id,
    url: subscription.url,
    events: subscription.events,
    enabled: subscription.enabled,
    expiring_days: subscription.expiringDays,
    created_at: subscription.createdAt,
    updated_at: subscription.updatedAt,
    last_delivery:
      last === null
        ? null
        : {
            at: last.at,
            event_id: last.eventId,
            event_type: last.eventType,
            attempt: last.attempt,
            http_status: last.httpStatus,
            error: last.error,
            gave_up: last.gaveUp,
          },
  };
}
