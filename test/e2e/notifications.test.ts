import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createApp } from "@charon/api";
import { DynamoCertificateRepository } from "@charon/aws";
import { auditEntry, wholeDelaySeconds, type Certificate, type WorkMessage, type WorkQueue } from "@charon/core";
import { InProcessWorkQueue, LocalKeySealer } from "@charon/local";
import { createServices, createWorkHandler, runScheduledSweeps } from "@charon/runtime";
import { freshTable } from "../harness/dynamodb.js";
import { capturingLogger, loopbackAllowed, manualClock, temporarySecretStore, type JsonBody } from "../support/dns-app.js";
import { receiver } from "../support/webhook-receiver.js";

/**
 * Alerts by signed webhooks (issue 10 §4), end to end: subscriptions made through the API, events
 * delivered by the work queue's handler to a receiver on loopback that checks every signature
 * with the README's few lines (Standard Webhooks), retries on the stated schedule (a clock and a
 * queue moved by hand), a failed issuance on Pebble + PowerDNS, and expiry warnings.
 */

/** A certificate in service as an order leaves it, expiring at `expiresOn`. */
async function activeCertificate(repository: DynamoCertificateRepository, name: string, expiresOn: Date): Promise<number> {
  const now = new Date().toISOString();
  const certificate: Omit<Certificate, "id"> = {
    provider: "letsencrypt",
    nice_name: name,
    domain_names: [name],
    status: "active",
    expires_on: expiresOn.toISOString(),
    created_on: now,
    modified_on: now,
    last_renewed_at: null,
    renewal_requested_at: null,
    meta: { dns_challenge: true },
    dns_provider: null,
    credentials: [],
    issued_at: now,
    serial: randomBytes(8).toString("hex"),
    error: null,
  };
  const actor = { user: "test", ipAddress: null, via: "test" };
  const stored = await repository.create(certificate, (id) =>
    auditEntry(actor, new Date(), { action: "certificate_created", resourceType: "certificate", resourceId: id, resourceName: name, provider: null, zoneFilter: null }),
  );
  return stored.id;
}

const DAY_MS = 24 * 60 * 60 * 1000;

describe("webhook delivery (a queue and a clock moved by hand)", () => {
  const clock = manualClock(new Date());
  const pending: Array<{ message: WorkMessage; at: number }> = [];
  const queue: WorkQueue = {
    async send(message, options) {
      pending.push({ message: JSON.parse(JSON.stringify(message)) as WorkMessage, at: clock.now().getTime() + wholeDelaySeconds(options?.delaySeconds) * 1000 });
    },
  };
  let hooks: Awaited<ReturnType<typeof receiver>>;
  let services: ReturnType<typeof createServices>;
  let table: Awaited<ReturnType<typeof freshTable>>;
  let handle: (message: WorkMessage) => Promise<void>;
  let call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: JsonBody }>;
  const token = `chrn_${randomBytes(24).toString("hex")}`;

  /** Runs every message due by the clock, and what they send that is due, until none is. */
  async function runDue(): Promise<number> {
    let ran = 0;
    for (;;) {
      const index = pending.findIndex((p) => p.at <= clock.now().getTime());
      if (index < 0) return ran;
      const [due] = pending.splice(index, 1);
      await handle(due!.message);
      ran++;
    }
  }

  async function subscribe(path: string, events: string[], extra: Record<string, unknown> = {}): Promise<{ id: number; secret: string }> {
    const created = await call("POST", "/api/v1/notifications", { url: hooks.url(path), events, ...extra });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { id: created.body.id, secret: created.body.secret };
  }

  const failedEvent = (certificateId: number) => ({
    id: `certificate_failed:${certificateId}:1`,
    type: "certificate_failed" as const,
    occurred_at: clock.now().toISOString(),
    data: { certificate_id: certificateId, domain_names: ["shop.example.test"], attempt: 1, error: "PowerDNS refused the API key" },
  });

  beforeAll(async () => {
    hooks = await receiver();
    const logger = capturingLogger().logger;
    table = await freshTable();
    services = createServices({
      table,
      secrets: await temporarySecretStore(),
      workQueue: queue,
      clock,
      dnsClientOptions: { outbound: loopbackAllowed },
    });
    handle = createWorkHandler(services, logger);
    await services.tokens.ensureBootstrapToken(token);
    const app = createApp({ services, logger });
    call = async (method, path, body) => {
      const response = await app.request(path, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as JsonBody };
    };
  });
  afterAll(() => hooks?.stop());

  it("delivers an event once to each subscription that asked for its type, signed, however often it is enqueued", async () => {
    const failed = await subscribe("/failed", ["certificate_failed"]);
    await subscribe("/expiring-only", ["certificate_expiring"]);
    const disabled = await subscribe("/disabled", ["certificate_failed"], { enabled: false });
    const event = failedEvent(101);
    await services.notifications.publish(event);
    await services.notifications.publish(event); // at least once: the same event again
    await runDue();

    const received = hooks.events("/failed", failed.secret);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ id: event.id, type: "certificate_failed", data: event.data, occurred_at: event.occurred_at });
    expect(Math.abs(received[0].timestamp - clock.now().getTime() / 1000)).toBeLessThanOrEqual(1);
    expect(hooks.requests.filter((r) => r.path !== "/failed")).toEqual([]);
    // Signed with another subscription's secret, the check fails: it is per subscription.
    expect(() => hooks.events("/failed", disabled.secret)).toThrow();

    const shown = (await call("GET", `/api/v1/notifications/${failed.id}`)).body;
    expect(shown.last_delivery).toEqual({
      at: clock.now().toISOString(),
      event_id: event.id,
      event_type: "certificate_failed",
      attempt: 1,
      http_status: 200,
      error: null,
      gave_up: false,
    });
    await call("DELETE", `/api/v1/notifications/${failed.id}`);
  });

  it("retries a receiver's 500 after 1 minute, not before, and records each attempt", async () => {
    const { id, secret } = await subscribe("/flaky", ["certificate_failed"]);
    hooks.statuses.push(500);
    const event = failedEvent(102);
    await services.notifications.publish(event);
    await runDue();
    expect(hooks.events("/flaky", secret)).toHaveLength(1);
    expect((await call("GET", `/api/v1/notifications/${id}`)).body.last_delivery).toMatchObject({
      attempt: 1,
      http_status: 500,
      error: "The receiver answered HTTP 500",
      gave_up: false,
    });

    // A duplicate of the first attempt changes nothing, and nothing is due before the minute is up.
    await handle({ kind: "notification.deliver", subscriptionId: id, event, attempt: 1 });
    clock.advance(59_000);
    await runDue();
    expect(hooks.events("/flaky", secret)).toHaveLength(1);

    clock.advance(1_000);
    await runDue();
    const received = hooks.events("/flaky", secret);
    expect(received).toHaveLength(2);
    expect(received[1].id).toBe(event.id);
    expect((await call("GET", `/api/v1/notifications/${id}`)).body.last_delivery).toMatchObject({ attempt: 2, http_status: 200, error: null });
    clock.advance(DAY_MS);
    await runDue();
    expect(hooks.events("/flaky", secret)).toHaveLength(2);
    await call("DELETE", `/api/v1/notifications/${id}`);
  });

  it("gives up after 1 min, 5 min, 30 min and 2 h of retries, and says so", async () => {
    const { id, secret } = await subscribe("/down", ["certificate_failed"]);
    hooks.statuses.push(503, 503, 503, 503, 503);
    await services.notifications.publish(failedEvent(103));
    await runDue();
    const attemptsAt: number[] = [];
    for (const minutes of [1, 5, 30, 120]) {
      clock.advance(minutes * 60_000 - 1_000);
      await runDue();
      attemptsAt.push(hooks.events("/down", secret).length);
      clock.advance(1_000);
      await runDue();
      attemptsAt.push(hooks.events("/down", secret).length);
    }
    expect(attemptsAt).toEqual([1, 2, 2, 3, 3, 4, 4, 5]);
    expect((await call("GET", `/api/v1/notifications/${id}`)).body.last_delivery).toMatchObject({
      attempt: 5,
      http_status: 503,
      gave_up: true,
    });
    clock.advance(DAY_MS);
    await runDue();
    expect(hooks.events("/down", secret)).toHaveLength(5);
    await call("DELETE", `/api/v1/notifications/${id}`);
  });

  it("does not follow a redirect", async () => {
    const { id, secret } = await subscribe("/moved", ["certificate_failed"]);
    hooks.statuses.push({ status: 302, location: hooks.url("/elsewhere") });
    await services.notifications.publish(failedEvent(104));
    await runDue();
    expect(hooks.events("/moved", secret)).toHaveLength(1);
    expect(hooks.requests.filter((r) => r.path === "/elsewhere")).toEqual([]);
    expect((await call("GET", `/api/v1/notifications/${id}`)).body.last_delivery).toMatchObject({
      http_status: 302,
      error: `The receiver redirected to ${hooks.url("/elsewhere")}; redirects are not followed`,
    });
    await call("DELETE", `/api/v1/notifications/${id}`);
  });

  it("warns once per certificate and expiry when fewer than expiring_days are left", async () => {
    const week = await subscribe("/expiring-7", ["certificate_expiring"]);
    const month = await subscribe("/expiring-30", ["certificate_expiring"], { expiring_days: 30 });
    const repository = new DynamoCertificateRepository(table);
    const now = clock.now().getTime();
    const soon = await activeCertificate(repository, "soon.example.test", new Date(now + 3 * DAY_MS));
    const later = await activeCertificate(repository, "later.example.test", new Date(now + 20 * DAY_MS));
    await activeCertificate(repository, "fresh.example.test", new Date(now + 80 * DAY_MS));

    await services.notifications.checkExpiring();
    await runDue();
    await services.notifications.checkExpiring(); // the next sweep: nothing new
    await runDue();
    const byCertificate = (path: string, secret: string) =>
      hooks.events(path, secret).map((e: JsonBody) => [e.type, e.data.certificate_id, e.data.days_left]);
    expect(byCertificate("/expiring-7", week.secret)).toEqual([["certificate_expiring", soon, 3]]);
    expect(byCertificate("/expiring-30", month.secret).sort()).toEqual([
      ["certificate_expiring", later, 20],
      ["certificate_expiring", soon, 3],
    ].sort());
  });
});

describe("webhooks checked against the outbound policy when connecting", () => {
  it("refuses at delivery a name that resolves to loopback when loopback is not allowed", async () => {
    const hooks = await receiver();
    const sent: WorkMessage[] = [];
    const services = createServices({
      table: await freshTable(),
      secrets: await temporarySecretStore(),
      // Only what is due now: the retry (a minute later) stays queued.
      workQueue: { send: async (message, options) => void (options?.delaySeconds ? undefined : sent.push(message)) },
    });
    const handle = createWorkHandler(services, capturingLogger().logger);
    // A name passes at create (its address is known only when connecting)…
    const url = hooks.url("/local").replace("127.0.0.1", "localhost");
    const { subscription } = await services.notifications.create({ url, events: ["certificate_renewed"] }, { user: "t", ipAddress: null, via: "test" });
    await services.notifications.publish({ id: "certificate_renewed:7:2", type: "certificate_renewed", occurred_at: new Date().toISOString(), data: {} });
    while (sent.length > 0) await handle(sent.shift()!);
    // …and is refused when it resolves to 127.0.0.1 (the retry is queued, nothing reached the receiver).
    expect(hooks.requests).toEqual([]);
    const stored = await services.notifications.get(subscription.id);
    expect(stored.lastDelivery).toMatchObject({ httpStatus: null, attempt: 1 });
    expect(stored.lastDelivery?.error).toMatch(/^Refused by the outbound policy: localhost: 127\.0\.0\.1 is a loopback address/);
    await hooks.stop();
  });
});

describe("signing secrets left behind", () => {
  it("the scheduled run deletes those no subscription names once they are an hour old, and keeps the others", async () => {
    const hooks = await receiver();
    const clock = manualClock(new Date());
    const secrets = await temporarySecretStore();
    const sent: WorkMessage[] = [];
    const services = createServices({
      table: await freshTable(),
      secrets,
      clock,
      workQueue: { send: async (message) => void sent.push(message) },
      dnsClientOptions: { outbound: loopbackAllowed },
    });
    const captured = capturingLogger();
    const actor = { user: "t", ipAddress: null, via: "test" };
    const kept = await services.notifications.create({ url: hooks.url("/kept"), events: ["certificate_renewed"] }, actor);
    // What a crash between the secret's write and the subscription's leaves (decision 0007).
    const orphan = "webhook-secrets/0123456789abcdef01234567";
    await secrets.create(orphan, { secret: "whsec_bGVmdC1iZWhpbmQtYnktYS1jcmFzaA==" });

    const young = await runScheduledSweeps(services, captured.logger);
    expect(young).toMatchObject({ secretsExamined: 2, secretsDeleted: 0, errors: [] });
    clock.advance(61 * 60 * 1000);
    const swept = await runScheduledSweeps(services, captured.logger);
    expect(swept).toMatchObject({ secretsExamined: 2, secretsDeleted: 1, errors: [] });
    expect(await secrets.get(orphan)).toBeUndefined();
    expect(captured.lines.join("\n")).not.toContain("bGVmdC1iZWhpbmQtYnktYS1jcmFzaA");

    // The subscription's own secret is still there: its deliveries are signed with it.
    await services.notifications.publish({ id: "certificate_renewed:9:2", type: "certificate_renewed", occurred_at: clock.now().toISOString(), data: {} });
    const handle = createWorkHandler(services, captured.logger);
    while (sent.length > 0) await handle(sent.shift()!);
    expect(hooks.events("/kept", kept.secret!)).toHaveLength(1);
    await hooks.stop();
  });
});

describe("alerts from a failed issuance (Pebble + PowerDNS)", () => {
  const pdns = { url: inject("powerdnsApiUrl"), key: inject("powerdnsApiKey") };
  const token = `chrn_${randomBytes(24).toString("hex")}`;
  const zone = `alerts-${randomBytes(3).toString("hex")}.test`;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  let queue: InProcessWorkQueue;
  let call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: JsonBody }>;

  beforeAll(async () => {
    hooks = await receiver();
    const captured = capturingLogger();
    queue = new InProcessWorkQueue({ logger: captured.logger });
    const services = createServices({
      table: await freshTable(),
      secrets: await temporarySecretStore(),
      workQueue: queue,
      dnsClientOptions: { retries: 0, timeoutMs: 5_000, outbound: loopbackAllowed },
      issuance: {
        sealer: new LocalKeySealer({ dataDirectory: await mkdtemp(join(tmpdir(), "charon-alerts-")), key: randomBytes(32) }),
        logger: captured.logger,
        acme: { directoryUrl: inject("pebbleDirectoryUrl"), email: undefined },
        resolvers: inject("powerdnsDnsAddress"),
      },
    });
    queue.start(createWorkHandler(services, captured.logger));
    await services.tokens.ensureBootstrapToken(token);
    const app = createApp({ services, logger: captured.logger });
    call = async (method, path, body) => {
      const response = await app.request(path, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as JsonBody };
    };
  });
  afterAll(async () => {
    await queue?.stop();
    await hooks?.stop();
  });

  it("sends a signed certificate_failed and, on the crossing only, credential_success_rate_low", async () => {
    const alerts = await call("POST", "/api/v1/notifications", {
      url: hooks.url("/alerts"),
      events: ["certificate_failed", "credential_success_rate_low"],
    });
    expect(alerts.status, JSON.stringify(alerts.body)).toBe(201);
    // A PowerDNS provider whose key the server refuses: every order with it fails.
    const provider = await call("POST", "/api/v1/dns-providers", {
      name: "PowerDNS (wrong key)",
      acme_dns_provider: "powerdns",
      meta: { PDNS_API_URL: pdns.url, PDNS_API_KEY: "a-key-powerdns-refuses" },
    });
    expect(provider.status, JSON.stringify(provider.body)).toBe(201);

    const request = async (name: string) => {
      const created = await call("POST", "/api/nginx/certificates", {
        provider: "letsencrypt",
        domain_names: [name],
        meta: { dns_challenge: true, dns_provider_id: provider.body.id },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.id as number;
    };
    const first = await request(`shop.${zone}`);
    const events = () => hooks.events("/alerts", alerts.body.secret);
    await expect
      .poll(async () => [events().length, (await call("GET", `/api/nginx/certificates/${first}`)).body.status], { timeout: 60_000, interval: 200 })
      .toEqual([2, "failed"]);
    const second = await request(`www.${zone}`);
    await expect.poll(() => events().filter((e: JsonBody) => e.type === "certificate_failed").length, { timeout: 60_000, interval: 100 }).toBe(2);

    const failed = events().filter((e: JsonBody) => e.type === "certificate_failed");
    expect(failed.map((e: JsonBody) => e.data.certificate_id)).toEqual([first, second]);
    const certificate = (await call("GET", `/api/nginx/certificates/${first}`)).body;
    expect(certificate.status).toBe("failed");
    expect(failed[0]).toMatchObject({ type: "certificate_failed", data: { domain_names: [`shop.${zone}`], error: certificate.error, renewal: false } });
    expect(failed[0].id).toMatch(new RegExp(`^certificate_failed:${first}:[0-9a-f-]{36}$`));
    // The first failure took the credential from no rate to 0 %: one alert; the second kept it low: none.
    const low = events().filter((e: JsonBody) => e.type === "credential_success_rate_low");
    expect(low).toHaveLength(1);
    expect(low[0].data).toMatchObject({
      provider_id: provider.body.id,
      credential_id: provider.body.primary_credential_id,
      success_rate: 0,
      failure_count: 1,
      threshold: 90,
    });
    expect(JSON.stringify(events())).not.toContain("a-key-powerdns-refuses");
    // The same alert on the credential and in the provider's dashboard data.
    const credentialId = provider.body.primary_credential_id;
    const message = low[0].data.message;
    expect(message).toMatch(/^Success rate 0% of credential '.+' is below 90%: test the credential$/);
    const credential = (await call("GET", `/api/v1/dns-providers/${provider.body.id}/credentials/${credentialId}`)).body;
    expect(credential).toMatchObject({ success_rate: 0, success_rate_alert: message });
    const statistics = (await call("GET", `/api/v1/dns-providers/${provider.body.id}/statistics`)).body;
    expect(statistics.alerts).toEqual([{ credential_id: credentialId, name: credential.name, success_rate: 0, message }]);
  });
});
