import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { auditEntry, type Actor } from "../audit/entry.js";
import type { ExpiryIndex } from "../certificates/overview.js";
import { ORPHAN_MIN_AGE_MS, type SweepReport } from "../credentials/sweeper.js";
import { CharonError, ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { OutboundRefusedError, type OutboundPolicy } from "../ports/outbound.js";
import type { SecretStore } from "../ports/secret-store.js";
import { MAX_DELAY_SECONDS, type WorkLogger, type WorkQueue } from "../ports/work-queue.js";
import type { NotificationRepository } from "./repository.js";
import {
  DEFAULT_EXPIRING_DAYS,
  DELIVERY_RETRY_SECONDS,
  DELIVERY_TIMEOUT_MS,
  MAX_DELIVERY_ATTEMPTS,
  MAX_SUBSCRIPTIONS,
  type LastDelivery,
  type NewSubscription,
  type NotificationEvent,
  type SubscriptionPatch,
  type WebhookSubscription,
} from "./subscription.js";

/** Every webhook signing secret lives under this prefix in the SecretStore. */
export const WEBHOOK_SECRET_PREFIX = "webhook-secrets/";

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long a delivery attempt is held before another worker may make it (the receiver's time-out and some). */
const DELIVERY_LEASE_MS = DELIVERY_TIMEOUT_MS * 3;
/** How long a delivery's marker is kept after its event: past the last retry, so a late duplicate is still known. */
const MARKER_DAYS = 7;

/** `notification.deliver`: one attempt of one event to one subscription. */
export interface DeliveryMessage {
  kind: "notification.deliver";
  subscriptionId: number;
  event: NotificationEvent;
  /** 1 for the first try. */
  attempt: number;
  /** Not before this time (ISO 8601): waits longer than the queue's 900 s come back in hops. */
  notBefore?: string;
  /** When the delivery's marker may be forgotten (ISO 8601); MARKER_DAYS after the event when absent. */
  keepUntil?: string;
}

/** `notification.publish`: an event to fan out to every subscription that asked for its type. */
export interface PublishMessage {
  kind: "notification.publish";
  event: NotificationEvent;
}

/** What may publish events (the issuer, the credential statistics). */
export interface NotificationPublisher {
  publish(event: NotificationEvent): Promise<void>;
}

/** A subscription and, on create or when a PATCH set one, its signing secret (shown that once). */
export interface SavedSubscription {
  subscription: WebhookSubscription;
  secret?: string;
}

export interface NotificationDependencies {
  subscriptions: NotificationRepository;
  secrets: SecretStore;
  /** The policy for URLs users supply (`CHARON_OUTBOUND_ALLOW`): checked at create and at connect time. */
  outbound: OutboundPolicy;
  queue: WorkQueue;
  clock: Clock;
  /** The certificates by expiry, for `certificate_expiring`. */
  expiries: Pick<ExpiryIndex, "expiringBefore">;
  logger?: WorkLogger;
}

/**
 * Alerts by signed webhooks (issue 10 §4): the subscriptions (`/api/v1/notifications`), the
 * fan-out of an event to them and each delivery with its retries, all through the work queue so
 * that no request or order waits for a receiver. Delivery is at least once per (event,
 * subscription): a marker per pair makes a duplicate message do nothing, and a receiver drops
 * the rare repeat (a worker that died after sending) by `webhook-id`.
 */
export class NotificationService implements NotificationPublisher {
  constructor(private readonly deps: NotificationDependencies) {}

  list(): Promise<WebhookSubscription[]> {
    return this.deps.subscriptions.list();
  }

  async get(id: number): Promise<WebhookSubscription> {
    const subscription = await this.deps.subscriptions.get(id);
    if (!subscription) throw new NotFoundError("Notification", id);
    return subscription;
  }

  /** 400 for a URL the outbound policy refuses; 409 beyond MAX_SUBSCRIPTIONS. */
  async create(input: NewSubscription, actor: Actor): Promise<SavedSubscription> {
    const url = this.checkedUrl(input.url);
    if ((await this.deps.subscriptions.list()).length >= MAX_SUBSCRIPTIONS) {
      throw new ConflictError(`At most ${MAX_SUBSCRIPTIONS} notification subscriptions exist; delete one first`);
    }
    const secret = input.secret ?? generateSecret();
    const secretName = newSecretName();
    const now = this.deps.clock.now().toISOString();
    // The secret first: metadata never points at a secret that is not there (docs/decisions/0007).
    await this.deps.secrets.create(secretName, { secret });
    try {
      const subscription = await this.deps.subscriptions.create(
        {
          url,
          events: [...new Set(input.events)],
          enabled: input.enabled ?? true,
          expiringDays: input.expiringDays ?? DEFAULT_EXPIRING_DAYS,
          secretName,
          createdAt: now,
          updatedAt: now,
          lastDelivery: null,
        },
        (id) => this.audit(actor, "notification_created", id, url, { events: input.events, secret_set: true }),
      );
      return { subscription, secret };
    } catch (error) {
      await this.deps.secrets.delete(secretName).catch(() => undefined);
      throw error;
    }
  }

  /** Only the fields given change; a `secret` replaces the signing secret (the old one is deleted). */
  async update(id: number, patch: SubscriptionPatch, actor: Actor): Promise<SavedSubscription> {
    if (Object.keys(patch).length === 0) {
      throw new ValidationError("Nothing to change: give at least one field (a PATCH changes only the fields it names)");
    }
    const current = await this.get(id);
    const url = patch.url === undefined ? current.url : this.checkedUrl(patch.url);
    const secretName = patch.secret === undefined ? current.secretName : newSecretName();
    const updated: WebhookSubscription = {
      ...current,
      url,
      events: patch.events === undefined ? current.events : [...new Set(patch.events)],
      enabled: patch.enabled ?? current.enabled,
      expiringDays: patch.expiringDays ?? current.expiringDays,
      secretName,
      updatedAt: this.deps.clock.now().toISOString(),
    };
    const changed = Object.keys(patch).filter((field) => field !== "secret");
    const audit = this.audit(actor, "notification_updated", id, url, {
      changed_fields: changed,
      ...(patch.secret === undefined ? {} : { secret_changed: true }),
    });
    if (patch.secret === undefined) {
      await this.deps.subscriptions.update(updated, current.updatedAt, audit);
      return { subscription: updated };
    }
    await this.deps.secrets.create(secretName, { secret: patch.secret });
    try {
      await this.deps.subscriptions.update(updated, current.updatedAt, audit);
    } catch (error) {
      await this.deps.secrets.delete(secretName).catch(() => undefined);
      throw error;
    }
    await this.deps.secrets.delete(current.secretName).catch(() => undefined);
    return { subscription: updated, secret: patch.secret };
  }

  async delete(id: number, actor: Actor): Promise<void> {
    const current = await this.get(id);
    await this.deps.subscriptions.delete(current, this.audit(actor, "notification_deleted", id, current.url));
    await this.deps.secrets.delete(current.secretName).catch(() => undefined);
  }

  /**
   * Deletes signing secrets no subscription refers to (docs/decisions/0007-secret-write-order.md):
   * left by a crash between the secret's write and the subscription's, or by a failed delete after
   * a PATCH or DELETE. Secrets younger than ORPHAN_MIN_AGE_MS are left alone, since their request
   * may still commit. One read of the subscriptions (at most MAX_SUBSCRIPTIONS) for all of them.
   * Run by the scheduled sweep beside the credentials' (`runScheduledSweeps`).
   */
  async sweepOrphanSecrets(): Promise<SweepReport> {
    const cutoff = this.deps.clock.now().getTime() - ORPHAN_MIN_AGE_MS;
    const report: SweepReport = { examined: 0, deleted: [] };
    const candidates: string[] = [];
    for await (const secret of this.deps.secrets.list(WEBHOOK_SECRET_PREFIX)) {
      report.examined++;
      if (secret.createdAt.getTime() <= cutoff) candidates.push(secret.name);
    }
    if (candidates.length === 0) return report;
    const referenced = new Set((await this.deps.subscriptions.list()).map((subscription) => subscription.secretName));
    for (const name of candidates) {
      if (referenced.has(name)) continue;
      await this.deps.secrets.delete(name);
      report.deleted.push(name);
    }
    return report;
  }

  /** Enqueues `event` for every subscription that asked for its type (`notification.publish`). */
  async publish(event: NotificationEvent): Promise<void> {
    await this.deps.queue.send({ kind: "notification.publish", event });
  }

  /** The `notification.publish` handler: one delivery message per enabled subscription of the type. */
  async fanOut(event: NotificationEvent): Promise<number> {
    const targets = (await this.deps.subscriptions.list()).filter((s) => s.enabled && s.events.includes(event.type));
    for (const subscription of targets) {
      await this.deps.queue.send({ kind: "notification.deliver", subscriptionId: subscription.id, event, attempt: 1 });
    }
    return targets.length;
  }

  /**
   * `certificate_expiring`: for each active certificate with fewer than a subscription's
   * `expiring_days` left, one event per certificate and expiry date (`certificate_expiring:<id>:
   * <expires_on>`), so a certificate is announced once per expiry whatever the number of checks;
   * a renewed certificate has a new expiry. Called by the scheduled sweep. Reads only the
   * certificates expiring within the longest `expiring_days` asked for (the expiry index).
   */
  async checkExpiring(): Promise<{ certificates: number; enqueued: number }> {
    const subscriptions = (await this.deps.subscriptions.list()).filter((s) => s.enabled && s.events.includes("certificate_expiring"));
    if (subscriptions.length === 0) return { certificates: 0, enqueued: 0 };
    const now = this.deps.clock.now().getTime();
    const horizon = new Date(now + Math.max(...subscriptions.map((s) => s.expiringDays)) * DAY_MS);
    let examined = 0;
    let enqueued = 0;
    for (const certificate of await this.deps.expiries.expiringBefore(horizon)) {
      examined++;
      if (certificate.status !== "active" || certificate.expires_on === null) continue;
      const expires = Date.parse(certificate.expires_on);
      const event: NotificationEvent = {
        id: `certificate_expiring:${certificate.id}:${certificate.expires_on}`,
        type: "certificate_expiring",
        occurred_at: new Date(now).toISOString(),
        data: {
          certificate_id: certificate.id,
          domain_names: certificate.domain_names,
          expires_on: certificate.expires_on,
          days_left: Math.max(0, Math.floor((expires - now) / DAY_MS)),
          last_error: certificate.error ?? null,
        },
      };
      for (const subscription of subscriptions) {
        if (expires - now >= subscription.expiringDays * DAY_MS) continue;
        await this.deps.queue.send({
          kind: "notification.deliver",
          subscriptionId: subscription.id,
          event,
          attempt: 1,
          keepUntil: new Date(Math.max(expires, now) + MARKER_DAYS * DAY_MS).toISOString(),
        });
        enqueued++;
      }
    }
    return { certificates: examined, enqueued };
  }

  /**
   * The `notification.deliver` handler: one signed POST unless this attempt was made or the event
   * delivered already; on failure the next attempt is a delayed message (DELIVERY_RETRY_SECONDS),
   * after the last one the delivery is given up. Every attempt is the subscription's
   * `last_delivery`. Redirects are not followed: a 3xx is a failure naming where it pointed.
   */
  async deliver(message: DeliveryMessage): Promise<void> {
    const now = this.deps.clock.now();
    if (message.notBefore !== undefined && Date.parse(message.notBefore) > now.getTime()) {
      const remaining = (Date.parse(message.notBefore) - now.getTime()) / 1000;
      await this.deps.queue.send(message, { delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil(remaining)) });
      return;
    }
    const subscription = await this.deps.subscriptions.get(message.subscriptionId);
    if (!subscription?.enabled || !subscription.events.includes(message.event.type)) return;
    const keepUntil = message.keepUntil ?? new Date(Date.parse(message.event.occurred_at) + MARKER_DAYS * DAY_MS).toISOString();
    const claimed = await this.deps.subscriptions.claimDelivery(
      subscription.id,
      message.event.id,
      message.attempt,
      now,
      new Date(now.getTime() + DELIVERY_LEASE_MS),
      new Date(Math.max(Date.parse(keepUntil), now.getTime() + MARKER_DAYS * DAY_MS)),
    );
    if (!claimed) return;
    const result = await this.post(subscription, message.event);
    const retrying = result.error !== null && message.attempt < MAX_DELIVERY_ATTEMPTS;
    const outcome: LastDelivery = {
      at: this.deps.clock.now().toISOString(),
      eventId: message.event.id,
      eventType: message.event.type,
      attempt: message.attempt,
      httpStatus: result.httpStatus,
      error: result.error,
      gaveUp: result.error !== null && !retrying,
    };
    if (retrying) {
      const wait = DELIVERY_RETRY_SECONDS[message.attempt - 1]!;
      // The next attempt is queued before it is recorded as due: a crash between the two leaves a
      // message the marker refuses and this one redelivered, never an attempt nobody will make.
      await this.deps.queue.send(
        { ...message, attempt: message.attempt + 1, notBefore: new Date(now.getTime() + wait * 1000).toISOString(), keepUntil },
        { delaySeconds: Math.min(MAX_DELAY_SECONDS, wait) },
      );
    }
    await this.deps.subscriptions.recordDelivery(subscription.id, message.event.id, outcome, retrying);
    if (result.error !== null) {
      this.deps.logger?.warn("webhook delivery failed", {
        category: "notifications",
        subscription_id: subscription.id,
        event_id: message.event.id,
        attempt: message.attempt,
        http_status: result.httpStatus,
        error: result.error,
        gave_up: outcome.gaveUp,
      });
    }
  }

  /** One signed POST (Standard Webhooks); the receiver's answer as status and error. */
  private async post(subscription: WebhookSubscription, event: NotificationEvent): Promise<{ httpStatus: number | null; error: string | null }> {
    const stored = await this.deps.secrets.get(subscription.secretName);
    const secret = stored?.["secret"];
    if (secret === undefined) {
      return { httpStatus: null, error: "The subscription's signing secret is missing; set a new one with PATCH" };
    }
    const body = JSON.stringify(event);
    const at = this.deps.clock.now();
    let response: Response;
    try {
      response = await this.deps.outbound.fetch(new URL(subscription.url), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Charon-Webhooks/1",
          ...signatureHeaders(secret, event.id, at, body),
        },
        body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
    } catch (error) {
      return { httpStatus: null, error: connectionError(error) };
    }
    // Only the status matters; the body is not read (a receiver cannot make the server buffer it).
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { httpStatus: response.status, error: null };
    if (response.status >= 300 && response.status < 400) {
      return { httpStatus: response.status, error: `The receiver redirected to ${response.headers.get("location") ?? "(no Location)"}; redirects are not followed` };
    }
    return { httpStatus: response.status, error: `The receiver answered HTTP ${response.status}` };
  }

  private checkedUrl(url: string): string {
    let checked: URL;
    try {
      checked = this.deps.outbound.check(url);
    } catch (error) {
      if (error instanceof OutboundRefusedError) throw new ValidationError(`url: ${error.message}`);
      throw error;
    }
    // The URL is shown to every reader of subscriptions: a password in it would leak.
    if (checked.username !== "" || checked.password !== "") {
      throw new ValidationError("url: must not carry a user name or password; receivers check the signature instead");
    }
    return checked.toString();
  }

  private audit(actor: Actor, action: string, id: number, url: string, details: Record<string, unknown> = {}) {
    return auditEntry(actor, this.deps.clock.now(), {
      action,
      resourceType: "notification",
      resourceId: id,
      resourceName: url,
      provider: null,
      zoneFilter: null,
      details,
    });
  }
}

/**
 * The Standard Webhooks headers for `body` (https://www.standardwebhooks.com/, "Signature
 * scheme"): `webhook-signature` is `v1,` + base64(HMAC-SHA256(key, `<id>.<timestamp>.<body>`)),
 * the key being the base64 after `whsec_`; `webhook-timestamp` is in seconds since the epoch.
 */
export function signatureHeaders(secret: string, id: string, at: Date, body: string): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, body),
  };
}

/** A new signing secret: `whsec_` and base64 of 32 random bytes. */
function generateSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

function newSecretName(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(12).toString("hex")}`;
}

/** Why no answer came, as the subscription shows it (no secret is ever in these). */
function connectionError(error: unknown): string {
  if (error instanceof OutboundRefusedError) return `Refused by the outbound policy: ${error.message}`;
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `The receiver did not answer within ${DELIVERY_TIMEOUT_MS / 1000} s`;
  }
  if (error instanceof CharonError) return error.message;
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `Could not connect to the receiver${cause}`;
}
