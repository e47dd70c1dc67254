/**
 * Webhook subscriptions (issue 10 §4): where the alerts of certificates and credentials go.
 * Bodies are signed per Standard Webhooks (https://www.standardwebhooks.com/): headers
 * `webhook-id`, `webhook-timestamp`, `webhook-signature` = `v1,` + base64(HMAC-SHA256(secret,
 * `<id>.<timestamp>.<raw body>`)), the secret being the bytes after `whsec_` in base64.
 */

/** What a subscription may ask for. */
export const NOTIFICATION_EVENTS = [
  "certificate_failed",
  "certificate_expiring",
  "credential_success_rate_low",
  "certificate_renewed",
] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENTS)[number];

/** `expiring_days` when a subscription does not say: warn a week before expiry. */
export const DEFAULT_EXPIRING_DAYS = 7;
/** `expiring_days` bounds: a day to Let's Encrypt's longest lifetime. */
export const MIN_EXPIRING_DAYS = 1;
export const MAX_EXPIRING_DAYS = 90;
/** How many subscriptions a stage may have: each event is one delivery per subscription. */
export const MAX_SUBSCRIPTIONS = 50;

/** The signing secret's form: `whsec_` and base64 of 24 to 64 random bytes (Standard Webhooks). */
export const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

/** The outcome of the last delivery attempt to a subscription. */
export interface LastDelivery {
  /** When the attempt ended (ISO 8601). */
  at: string;
  eventId: string;
  eventType: NotificationEventType;
  /** 1 for the first try, up to 1 + the retries of DELIVERY_RETRY_SECONDS. */
  attempt: number;
  /** The receiver's HTTP status; null when no answer came (`error` says why). */
  httpStatus: number | null;
  /** Why the attempt failed; null on success (2xx). */
  error: string | null;
  /** Set on the last attempt of an event that never succeeded: it is not retried again. */
  gaveUp: boolean;
}

export interface WebhookSubscription {
  id: number;
  url: string;
  events: NotificationEventType[];
  enabled: boolean;
  /** `certificate_expiring` fires when fewer than this many days are left. */
  expiringDays: number;
  /** Where the signing secret is in the SecretStore; never shown. */
  secretName: string;
  createdAt: string;
  updatedAt: string;
  lastDelivery: LastDelivery | null;
}

/** What a create asks for; the secret is generated when absent. */
export interface NewSubscription {
  url: string;
  events: NotificationEventType[];
  enabled?: boolean;
  expiringDays?: number;
  secret?: string;
}

/** What a PATCH changes: only the fields given. A new `secret` replaces the old one. */
export type SubscriptionPatch = Partial<NewSubscription>;

/** One event as a receiver gets it: the JSON body `{id, type, occurred_at, data}`. */
export interface NotificationEvent {
  /**
   * Stable for the same occurrence (`certificate_failed:12:3`), so the same event enqueued twice
   * is delivered once per subscription, and a receiver can drop a repeat by `webhook-id`.
   */
  id: string;
  type: NotificationEventType;
  occurred_at: string;
  data: Record<string, unknown>;
}

/**
 * Waits before each retry of a delivery that failed (no 2xx in time, a refused address, a
 * redirect): 1 min, 5 min, 30 min, 2 h; after the last one the delivery is given up and recorded.
 */
export const DELIVERY_RETRY_SECONDS = [60, 300, 1800, 7200] as const;
export const MAX_DELIVERY_ATTEMPTS = DELIVERY_RETRY_SECONDS.length + 1;
/** How long a receiver has to answer. */
export const DELIVERY_TIMEOUT_MS = 10_000;
