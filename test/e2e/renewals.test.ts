import { randomBytes, X509Certificate } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AcmeAccounts } from "@charon/acme";
import { createApp } from "@charon/api";
import type { DynamoTable } from "@charon/aws";
import { InProcessWorkQueue, LocalKeySealer, type LocalSecretStore } from "@charon/local";
import { createServices, createWorkHandler } from "@charon/runtime";
import { freshTable } from "../harness/dynamodb.js";
import { capturingLogger, loopbackAllowed, temporarySecretStore, type JsonBody } from "../support/dns-app.js";
import { receiver } from "../support/webhook-receiver.js";

/**
 * Issue 10's end-to-end test: certificates issued by the run's Pebble (v2.10.3, with ACME Renewal
 * Information) over the run's PowerDNS are renewed by sweeps (`POST /api/v1/renewals/run`). The
 * services' clock is injected (real time plus an offset the test moves), so "six hours later"
 * costs nothing; Pebble's management API sets the renewal windows it answers.
 */
const s = randomBytes(3).toString("hex");
const zones = { a: `renew-a-${s}.test`, b: `renew-b-${s}.test` };
const pdns = { url: inject("powerdnsApiUrl"), key: inject("powerdnsApiKey") };
const token = `chrn_${randomBytes(24).toString("hex")}`;

let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };
const later = (seconds: number) => {
  offsetMs += seconds * 1000;
};

let call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: JsonBody; bytes: Uint8Array; headers: Headers }>;
let stop: () => Promise<void>;
let services: ReturnType<typeof createServices>;
let logLines: string[];
let providerId: number;
let credentialB: number;
let table: DynamoTable;
let hooks: Awaited<ReturnType<typeof receiver>>;
let secrets: LocalSecretStore;
const acme = { directoryUrl: inject("pebbleDirectoryUrl"), email: "renewals@example.test" };

async function pdnsRequest(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${pdns.url}/api/v1/servers/localhost${path}`, {
    method,
    headers: { "x-api-key": pdns.key, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function request(names: string[]): Promise<number> {
  const created = await call("POST", "/api/nginx/certificates", {
    provider: "letsencrypt",
    domain_names: names,
    // Pebble picks a random profile for an order without one; classic is 90 days.
    meta: { dns_challenge: true, dns_provider_id: providerId, profile: "classic" },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

/** Polls the API until the certificate's order ends (no step) and it is no longer pending. */
async function settled(id: number): Promise<JsonBody> {
  await expect
    .poll(async () => {
      const { status, step } = (await call("GET", `/api/nginx/certificates/${id}`)).body;
      return status !== "pending" && step === null;
    }, { timeout: 120_000, interval: 200 })
    .toBe(true);
  return (await call("GET", `/api/nginx/certificates/${id}`)).body;
}

/** The leaf certificate the download serves now. */
async function served(id: number): Promise<X509Certificate> {
  const response = await call("GET", `/api/nginx/certificates/${id}/download`);
  expect(response.status).toBe(200);
  return new X509Certificate(strFromU8(unzipSync(response.bytes)["cert.pem"]!));
}

/** Pebble's management API: the renewal information it answers for the certificate served now. */
async function setWindow(id: number, window: { start: Date; end: Date }, explanationURL?: string): Promise<void> {
  const leaf = await served(id);
  const response = await fetch(`${inject("pebbleManagementUrl")}/set-renewal-info/`, {
    method: "POST",
    body: JSON.stringify({
      Certificate: leaf.toString(),
      ARIResponse: JSON.stringify({ suggestedWindow: { start: window.start.toISOString(), end: window.end.toISOString() }, explanationURL }),
    }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

async function sweep(): Promise<{ checked: number; due: number; enqueued: number; failed: number; expiring_alerts: number }> {
  const response = await call("POST", "/api/v1/renewals/run");
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

/**
 * RFC 8555 §7.5.2: the ACME account deactivates the authorizations of the certificate's last
 * order. A CA hands a new order of the same account a valid authorization it still holds for a
 * name (Let's Encrypt for 7 hours; Pebble for an hour, and even at PEBBLE_AUTHZREUSE=0 one time
 * in 100, since wfe.go's makeAuthorizations reuses unless `rand.Intn(100) > percent`), and an
 * order with nothing to validate succeeds whatever the DNS provider says. Without them, each
 * order below proves control of its names again.
 */
async function deactivateAuthorizations(id: number): Promise<void> {
  const item = await table.get<{ order: { orderUrl: string } }>({ pk: `CERTIFICATE#${id}`, sk: "ORDER" }, true);
  expect(item?.order.orderUrl).toMatch(/^https:/);
  const client = await new AcmeAccounts(secrets, acme).registered();
  const order = await client.getOrder({ url: item!.order.orderUrl } as Parameters<typeof client.getOrder>[0]);
  const valid = (await client.getAuthorizations(order)).filter((authorization) => authorization.status === "valid");
  expect(valid.length).toBeGreaterThan(0);
  for (const authorization of valid) expect((await client.deactivateAuthorization(authorization)).status).toBe("deactivated");
}

const pastWindow = () => ({ start: new Date(Date.now() - 2 * 3_600_000), end: new Date(Date.now() - 3_600_000) });

beforeAll(async () => {
  for (const zone of Object.values(zones)) {
    const response = await pdnsRequest("POST", "/zones", { name: `${zone}.`, kind: "Native", nameservers: [`ns1.${zone}.`] });
    expect(response.status, await response.clone().text()).toBe(201);
  }
  const captured = capturingLogger();
  logLines = captured.lines;
  const queue = new InProcessWorkQueue({ logger: captured.logger, concurrency: 8 });
  table = await freshTable();
  secrets = await temporarySecretStore();
  services = createServices({
    table,
    clock,
    secrets,
    workQueue: queue,
    dnsClientOptions: { retries: 0, timeoutMs: 5_000, outbound: loopbackAllowed },
    authFailureLimits: { maxFailures: 1_000_000, windowSeconds: 60 },
    issuance: {
      sealer: new LocalKeySealer({ dataDirectory: await mkdtemp(join(tmpdir(), "charon-renewals-")), key: randomBytes(32) }),
      logger: captured.logger,
      acme,
      resolvers: inject("powerdnsDnsAddress"),
    },
  });
  queue.start(createWorkHandler(services, captured.logger));
  stop = () => queue.stop();
  await services.tokens.ensureBootstrapToken(token);
  const app = createApp({ services, logger: captured.logger });
  call = async (method, path, body) => {
    const response = await app.request(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    const text = strFromU8(bytes);
    const json = (response.headers.get("content-type") ?? "").includes("json") && text ? (JSON.parse(text) as JsonBody) : text;
    return { status: response.status, body: json, bytes, headers: response.headers };
  };

  expect((await call("PUT", "/api/v1/settings", { dns_polling_interval_seconds: 1 })).status).toBe(200);
  const provider = await call("POST", "/api/v1/dns-providers", {
    name: "PowerDNS",
    acme_dns_provider: "powerdns",
    meta: { PDNS_API_URL: pdns.url, PDNS_API_KEY: pdns.key },
  });
  expect(provider.status, JSON.stringify(provider.body)).toBe(201);
  providerId = provider.body.id;
  expect((await call("POST", `/api/v1/dns-providers/${providerId}/enable-multi-credential`)).status).toBe(200);
  const b = await call("POST", `/api/v1/dns-providers/${providerId}/credentials`, {
    name: "Customer B",
    zone_filter: zones.b,
    credentials: { api_url: pdns.url, api_key: pdns.key },
  });
  expect(b.status, JSON.stringify(b.body)).toBe(201);
  credentialB = b.body.id;
});

afterAll(async () => {
  await stop?.();
  await hooks?.stop();
});

describe("renewals (Pebble v2.10.3 + PowerDNS, injected clock)", () => {
  const ids: Record<string, number> = {};
  const before: Record<string, JsonBody> = {};

  it("files each issued certificate for renewal (and, once, those stored without a schedule), then takes the CA's window at the first sweep", async () => {
    const names: Record<string, string[]> = {
      first: [`www.${zones.a}`],
      pair: [zones.a, `*.${zones.a}`],
      untouched: [`api.${zones.a}`],
      failing: [`shop.${zones.b}`],
    };
    for (const [key, domains] of Object.entries(names)) ids[key] = await request(domains);
    for (const key of Object.keys(names)) {
      const certificate = await settled(ids[key]!);
      expect(certificate, certificate.error).toMatchObject({ status: "active", renewal_due_source: "lifetime", renewal_failures: [] });
      expect(certificate.ari_cert_id).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      // 90 days: due with a third left.
      const lifetime = Date.parse(certificate.expires_on) - Date.parse(certificate.issued_at);
      expect(Math.abs(Date.parse(certificate.renewal_due_at) - (Date.parse(certificate.expires_on) - lifetime / 3))).toBeLessThan(60_000);
    }
    // One as stored before renewal schedules existed (none, so not in the index): the first sweep files it too.
    await table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: { pk: `CERTIFICATE#${ids["untouched"]}`, sk: "CERTIFICATE" },
        UpdateExpression: "REMOVE renewal_due_at, renewal_due_source, renewal_explanation_url, renewal_info_check_at, renewal_retry_at, renewal_failures, gsi2pk, gsi2sk",
      }),
    );
    expect((await call("GET", `/api/nginx/certificates/${ids["untouched"]}`)).body.renewal_due_at ?? null).toBeNull();
    const first = await sweep();
    expect(first).toEqual({ checked: 4, due: 0, enqueued: 0, failed: 0, expiring_alerts: 0 });
    for (const key of Object.keys(names)) {
      const certificate = (await call("GET", `/api/nginx/certificates/${ids[key]}`)).body;
      before[key] = certificate;
      // Pebble's window is a day either side of the lifetime's two-thirds point; it answers Retry-After: 6 h.
      expect(certificate).toMatchObject({ renewal_due_source: "ari", renewal_explanation_url: null, step: null });
      expect(Date.parse(certificate.renewal_info_check_at) - clock.now().getTime()).toBeGreaterThan(5 * 3_600_000);
    }
    // Nothing is filed before its next check: a sweep now reads nothing.
    expect(await sweep()).toEqual({ checked: 0, due: 0, enqueued: 0, failed: 0, expiring_alerts: 0 });
  }, 240_000);

  it("renews exactly the certificates whose window has come, with `replaces`, serving the old ones until then", async () => {
    await setWindow(ids["first"]!, pastWindow(), "https://ca.example.test/incident-42");
    await setWindow(ids["pair"]!, pastWindow());
    later(6 * 3600 + 60); // The next check of every certificate.
    // Two sweeps at once: each certificate still gets one order.
    const [one, two] = await Promise.all([sweep(), sweep()]);
    expect(one.enqueued + two.enqueued).toBe(2);
    expect(one.due).toBe(2);
    for (const key of ["first", "pair"]) {
      const now = (await call("GET", `/api/nginx/certificates/${ids[key]}`)).body;
      // The order was opened, and the certificate in service is still the old one.
      expect(now.status).toBe("active");
      expect((await served(ids[key]!)).serialNumber.toLowerCase()).toBe(before[key].serial);
    }
    for (const key of ["first", "pair"]) {
      const renewed = await settled(ids[key]!);
      expect(renewed, renewed.error).toMatchObject({ status: "active", error: null, domain_names: before[key].domain_names, renewal_failures: [] });
      expect(renewed.serial).not.toBe(before[key].serial);
      const leaf = await served(ids[key]!);
      expect(leaf.serialNumber.toLowerCase()).toBe(renewed.serial);
      expect((leaf.subjectAltName ?? "").split(", ").map((n) => n.replace(/^DNS:/, "")).sort()).toEqual([...before[key].domain_names].sort());
      // The order named the certificate it replaced, and Pebble's order object says so.
      const replaced = logLines.filter((line) => line.includes("renewal order replaces the certificate in service") && line.includes(`"certificate_id":${ids[key]}`));
      expect(replaced.join("\n")).toContain(`"replaces":"${before[key].ari_cert_id}"`);
    }
    const untouched = (await call("GET", `/api/nginx/certificates/${ids["untouched"]}`)).body;
    expect(untouched.serial).toBe(before["untouched"].serial);
    // One audit entry per renewal (each order's names used one credential).
    const renewedEntries = (await call("GET", "/api/v1/audit-logs?action=certificate_renewed&limit=100")).body.audit_logs as JsonBody[];
    expect(renewedEntries).toHaveLength(2);
  }, 240_000);

  it("orders once more without `replaces` when the CA says that certificate was replaced already", async () => {
    const id = ids["first"]!;
    const current = (await call("GET", `/api/nginx/certificates/${id}`)).body;
    // The certificate the first renewal replaced: Pebble answers 409 alreadyReplaced for it.
    const stale = before["first"].ari_cert_id as string;
    expect(stale).not.toBe(current.ari_cert_id);
    expect(await services.issuer!.start(current, { user: "test", ipAddress: null, via: "test" }, { replaces: stale })).toBe(true);
    const renewed = await settled(id);
    expect(renewed, renewed.error).toMatchObject({ status: "active", error: null });
    expect(renewed.serial).not.toBe(current.serial);
    const refused = logLines.filter((line) => line.includes("the CA refused `replaces`") && line.includes(`"certificate_id":${id}`));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toContain("already has a replacement order");
  }, 120_000);

  it("keeps the failing certificate in service, retries after 1 min, 10 min and 100 min, and sends a signed certificate_failed each time", async () => {
    const id = ids["failing"]!;
    hooks = await receiver();
    const subscription = await call("POST", "/api/v1/notifications", { url: hooks.url("/failed"), events: ["certificate_failed"] });
    expect(subscription.status, JSON.stringify(subscription.body)).toBe(201);
    await setWindow(id, pastWindow(), "https://ca.example.test/why");
    await deactivateAuthorizations(id);
    const broken = await call("PATCH", `/api/v1/dns-providers/${providerId}/credentials/${credentialB}`, {
      credentials: { api_url: pdns.url, api_key: "a-key-powerdns-refuses" },
    });
    expect(broken.status, JSON.stringify(broken.body)).toBe(200);
    later(6 * 3600 + 60); // Its renewal information is fetched again: the window has come.
    const waits: number[] = [];
    for (let failure = 1; failure <= 3; failure++) {
      const result = await sweep();
      expect(result).toMatchObject({ due: 1, enqueued: 1 });
      const failed = await settled(id);
      expect(failed).toMatchObject({
        status: "active",
        serial: before["failing"].serial,
        renewal_due_source: "ari",
        renewal_explanation_url: "https://ca.example.test/why",
        renewal_failures: [{ domain: `shop.${zones.b}`, consecutive_failures: failure }],
      });
      expect(failed.error).toMatch(/^PowerDNS API returned 401/);
      expect((await served(id)).serialNumber.toLowerCase()).toBe(before["failing"].serial);
      const wait = (Date.parse(failed.renewal_retry_at) - clock.now().getTime()) / 1000;
      waits.push(Math.round(wait / 60));
      // Before the wait is over a sweep leaves it alone.
      later(wait - 30);
      expect(await sweep()).toMatchObject({ enqueued: 0 });
      later(31);
    }
    expect(waits).toEqual([1, 10, 100]);
    // Each failed renewal reached the receiver on loopback, signed with the subscription's secret.
    await expect.poll(() => hooks.requests.length, { timeout: 30_000, interval: 100 }).toBe(3);
    const alerts = hooks.events("/failed", subscription.body.secret);
    expect(alerts.map((a: JsonBody) => [a.type, a.data.certificate_id, a.data.renewal])).toEqual(Array(3).fill(["certificate_failed", id, true]));
    for (const alert of alerts) expect(alert.data.error).toMatch(/^PowerDNS API returned 401/);
    const failures = (await call("GET", "/api/v1/audit-logs?action=certificate_failed&limit=100")).body.audit_logs as JsonBody[];
    expect(failures.filter((e) => e.details.credential_id === credentialB)).toHaveLength(3);
  }, 240_000);

  it("stops at 5 failed orders of a name in an hour, whatever failed: renew now answers 429 with Retry-After saying so", async () => {
    const id = ids["failing"]!;
    // The limit counts per clock hour: start this one a minute into an hour of its own.
    const now = clock.now();
    later((3_600_000 - (now.getTime() % 3_600_000)) / 1000 + 60);
    // Renew now skips the backoff (its 24-hour wait by now); five failures this hour, then no more.
    for (let attempt = 4; attempt <= 8; attempt++) {
      const renew = await call("POST", `/api/nginx/certificates/${id}/renew`);
      expect(renew.status, JSON.stringify(renew.body)).toBe(200);
      expect(renew.body.renewal_requested_at).not.toBeNull();
      const failed = await settled(id);
      expect(failed.renewal_failures).toEqual([{ domain: `shop.${zones.b}`, consecutive_failures: attempt }]);
    }
    const refused = await call("POST", `/api/nginx/certificates/${id}/renew`);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // The five failed at the DNS provider (the CA was never asked to validate): the message says both.
    expect(refused.body.message).toBe(
      `shop.${zones.b} had 5 failed orders this hour (a validation the CA refused or a DNS provider error), the most allowed per name and hour; ` +
        `renew after ${new Date(Math.ceil(clock.now().getTime() / 3_600_000) * 3_600_000).toISOString()}`,
    );
  }, 240_000);
  it("sends the certificate_expiring warnings that are due in the same run", async () => {
    const received: string[] = [];
    const receiver = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        received.push((JSON.parse(body) as { type: string }).type);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      // 90 days' notice: every certificate in service (each lasts 90 days or less) is due a warning.
      const created = await call("POST", "/api/v1/notifications", { url, events: ["certificate_expiring"], expiring_days: 90 });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const active = ((await call("GET", "/api/nginx/certificates?limit=100")).body as JsonBody[]).filter((c) => c.status === "active");
      expect(active.length).toBeGreaterThan(0);

      expect(await sweep()).toMatchObject({ expiring_alerts: active.length });
      await expect.poll(() => received.length, { timeout: 30_000, interval: 100 }).toBe(active.length);
      expect(new Set(received)).toEqual(new Set(["certificate_expiring"]));
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  }, 120_000);
});
