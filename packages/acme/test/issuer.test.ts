import { createOutboundPolicy } from "@charon/outbound";
import { randomBytes, X509Certificate } from "node:crypto";
import { tmpdir } from "node:os";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  DnsProviderError,
  type ChallengeRecord,
  type Dns01Solver,
  type WorkMessage,
  type WorkQueue,
} from "@charon/core";
import {
  DynamoCertificateRepository,
  DynamoDnsProviderSlots,
  DynamoFailedAuthorizations,
  DynamoIssuanceRepository,
  DynamoNewOrderBudget,
} from "@charon/aws";
import { createDnsProviderClient } from "@charon/dns";
import { AcmeAccounts, CaRateLimited, Issuer, type IssuerDependencies } from "@charon/acme";
import { LocalKeySealer } from "@charon/local";
import { startPebble } from "../../../test/harness/pebble.js";
import { capturingLogger, dnsTestApp, manualClock, temporarySecretStore, type DnsTestApp } from "../../../test/support/dns-app.js";

/**
 * The order's steps against the run's Pebble, which validates every DNS-01 value by asking the
 * run's PowerDNS. The solver here writes through the PowerDNS adapter of `@charon/dns` and needs
 * no delegation; `@charon/acme`'s own solver has its own tests.
 */
const suffix = randomBytes(4).toString("hex");
const zone = `issuer-${suffix}.test`;
const pdns = { url: inject("powerdnsApiUrl"), key: inject("powerdnsApiKey") };

let t: DnsTestApp;
let providerId: number;
let badProviderId: number;

async function pdnsZone(name: string): Promise<void> {
  const response = await fetch(`${pdns.url}/api/v1/servers/localhost/zones`, {
    method: "POST",
    headers: { "x-api-key": pdns.key, "content-type": "application/json" },
    body: JSON.stringify({ name: `${name}.`, kind: "Native", nameservers: [`ns1.${name}.`] }),
  });
  expect(response.status).toBe(201);
}

/** The TXT values PowerDNS holds at `name`. */
async function txtValues(name: string): Promise<string[]> {
  const response = await fetch(`${pdns.url}/api/v1/servers/localhost/zones/${zone}.`, { headers: { "x-api-key": pdns.key } });
  const body = (await response.json()) as { rrsets: Array<{ name: string; type: string; records: Array<{ content: string }> }> };
  return body.rrsets.filter((r) => r.name === `${name}.` && r.type === "TXT").flatMap((r) => r.records.map((x) => x.content));
}

async function provider(apiKey: string): Promise<number> {
  const created = await t.call("POST", "/api/v1/dns-providers", {
    name: `PowerDNS ${randomBytes(3).toString("hex")}`,
    acme_dns_provider: "powerdns",
    meta: { PDNS_API_URL: pdns.url, PDNS_API_KEY: apiKey },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

const hostedZone = { id: `${zone}.`, name: zone };

/** DNS-01 through one PowerDNS provider, without delegation (the zone is the test's). */
function powerDnsSolver(keys: Map<number, string>): Dns01Solver {
  const client = (record: ChallengeRecord) =>
    createDnsProviderClient("powerdns", { api_url: pdns.url, api_key: keys.get(record.providerId) ?? "" }, { retries: 0, outbound: createOutboundPolicy({ loopback: true }) });
  return {
    async locate(id, identifier) {
      const [chosen] = await t.services.dnsDirectory.resolveCredentials(id, [identifier]);
      const recordName = `_acme-challenge.${identifier.replace(/^\*\./, "")}`;
      return {
        identifier,
        recordName,
        effectiveRecordName: recordName,
        cnameChain: [],
        providerId: id,
        providerType: "powerdns",
        credential: { id: chosen!.credentialId, name: chosen!.credentialName },
      };
    },
    async present(record, value) {
      await client(record).addTxtRecord(hostedZone, record.effectiveRecordName, value, 60);
      return {};
    },
    async cleanUp(record, value) {
      await client(record).removeTxtRecord(hostedZone, record.effectiveRecordName, value);
    },
    async checkPropagation(record, value) {
      const values = await txtValues(record.effectiveRecordName);
      const server = { server: "powerdns", values: values.map((v) => v.replace(/^"|"$/g, "")) };
      return server.values.includes(value) ? { propagated: true, servers: [server] } : { propagated: false, servers: [server] };
    },
  };
}

/**
 * The issuer's messages are kept, delays noted; the test delivers them (twice when it wants
 * duplicates). The issuer here has no event publisher, so all are `certificate.advance`.
 */
function recordingQueue() {
  const pending: Array<{ message: Extract<WorkMessage, { kind: "certificate.advance" }>; delaySeconds: number }> = [];
  const queue: WorkQueue = {
    async send(message, options) {
      if (message.kind !== "certificate.advance") throw new Error(`unexpected ${message.kind} message`);
      pending.push({ message, delaySeconds: options?.delaySeconds ?? 0 });
    },
  };
  return { queue, pending };
}

function setUp(keys: Map<number, string>, solver: Dns01Solver = powerDnsSolver(keys), overrides: Partial<IssuerDependencies> = {}) {
  const { queue, pending } = recordingQueue();
  const { lines, logger } = capturingLogger();
  const orders = new DynamoIssuanceRepository(t.table);
  const issuer = new Issuer({
    certificates: new DynamoCertificateRepository(t.table),
    orders,
    solver,
    // The key is given, so the data directory is never written to.
    sealer: new LocalKeySealer({ dataDirectory: tmpdir(), key: randomBytes(32) }),
    queue,
    outcomes: t.services.dnsDirectory,
    accounts: new AcmeAccounts(t.secrets, { directoryUrl: inject("pebbleDirectoryUrl"), email: "ops@example.test" }),
    timings: { propagation: async () => ({ pollSeconds: 1, timeoutSeconds: 30 }) },
    failures: new DynamoFailedAuthorizations(t.table),
    clock: { now: () => new Date() },
    logger,
    ...overrides,
  });
  /** Delivers every message (each `copies` times at once) until none is left; returns the deliveries. */
  const drain = async (copies = 1): Promise<number> => {
    let delivered = 0;
    for (let guard = 0; pending.length > 0; guard++) {
      if (guard > 500) throw new Error("the order never settled");
      const { message } = pending.shift()!;
      await Promise.all(Array.from({ length: copies }, () => issuer.advance(message.certificateId)));
      delivered += copies;
    }
    return delivered;
  };
  return { issuer, orders, drain, pending, lines };
}

async function requestCertificate(id: number, names: string[], meta: Record<string, unknown> = {}) {
  const created = await t.call("POST", "/api/nginx/certificates", {
    provider: "letsencrypt",
    domain_names: names,
    meta: { dns_challenge: true, dns_provider_id: id, ...meta },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return (await t.services.certificates.get(created.body.id))!;
}

/** Leaf, then chain, verified up to Pebble's root from its management API. */
async function verifiedChain(certificatePem: string, chainPem: string): Promise<X509Certificate> {
  const root = new X509Certificate(await (await fetch(`${inject("pebbleManagementUrl")}/roots/0`)).text());
  const chain = chainPem.split(/(?=-----BEGIN CERTIFICATE-----)/).filter(Boolean).map((pem) => new X509Certificate(pem));
  const leaf = new X509Certificate(certificatePem);
  let child = leaf;
  for (const parent of [...chain, root]) {
    expect(child.checkIssued(parent)).toBe(true);
    expect(child.verify(parent.publicKey)).toBe(true);
    child = parent;
  }
  return leaf;
}

function sans(leaf: X509Certificate): string[] {
  return (leaf.subjectAltName ?? "").split(", ").map((s) => s.replace(/^DNS:/, "")).sort();
}

async function credentialOf(id: number) {
  const list = await t.call("GET", `/api/v1/dns-providers/${id}/credentials`);
  return list.body.credentials?.[0] ?? list.body[0];
}

beforeAll(async () => {
  t = await dnsTestApp({ secrets: await temporarySecretStore() });
  await pdnsZone(zone);
  providerId = await provider(pdns.key);
  badProviderId = await provider("not-the-api-key");
});

describe("an order against Pebble and PowerDNS", () => {
  it("issues apex + wildcard in one order: active, chain to Pebble's root, exactly the names, values removed, counted", async () => {
    const keys = new Map([[providerId, pdns.key]]);
    const { issuer, orders, drain } = setUp(keys);
    const names = [zone, `*.${zone}`];
    const certificate = await requestCertificate(providerId, names);
    expect(await issuer.start(certificate, { user: "test", ipAddress: null, via: "test" })).toBe(true);
    await drain();

    const issued = (await t.services.certificates.get(certificate.id))!;
    expect(issued).toMatchObject({ status: "active", key_type: "ecdsa-p256", step: null, error: null });
    const material = (await orders.material(certificate.id))!;
    expect(material.sealedKey).not.toContain("PRIVATE KEY");
    const leaf = await verifiedChain(material.certificatePem, material.chainPem);
    expect(sans(leaf)).toEqual([...names].sort());
    expect(issued.serial).toBe(leaf.serialNumber.toLowerCase());
    expect(issued.expires_on).toBe(new Date(leaf.validTo).toISOString());
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    const credential = await credentialOf(providerId);
    expect(issued.validations?.map((v) => [v.domain, v.record_name, v.dns_credential.id])).toEqual(
      expect.arrayContaining(names.map((n) => [n, `_acme-challenge.${zone}`, credential.id])),
    );
    expect(await txtValues(`_acme-challenge.${zone}`)).toEqual([]);
    expect(credential).toMatchObject({ success_count: 1, failure_count: 0 });
    const audit = await t.call("GET", `/api/v1/audit-logs?action=certificate_issued`);
    expect(JSON.stringify(audit.body)).toContain(`"credential_id":${credential.id}`);
    expect(JSON.stringify(audit.body)).not.toContain("PRIVATE KEY");
    expect(await orders.openOrders()).not.toContain(certificate.id);
  });

  it("audits an order whose names the CA had authorized already (no value written) without counting a credential", async () => {
    // Let's Encrypt reuses an account's valid authorizations; this Pebble always does.
    const reusing = await startPebble({ dnsServer: inject("powerdnsDnsAddress"), authorizationReuse: 100 });
    try {
      const keys = new Map([[providerId, pdns.key]]);
      const accounts = new AcmeAccounts(t.secrets, { directoryUrl: reusing.directoryUrl, email: "reuse@example.test" });
      const name = `reused.${zone}`;
      const first = setUp(keys, powerDnsSolver(keys), { accounts });
      const proved = await requestCertificate(providerId, [name]);
      await first.issuer.start(proved, { user: "test", ipAddress: null, via: "test" });
      await first.drain();
      expect((await t.services.certificates.get(proved.id))!.status).toBe("active");
      const counted = (await credentialOf(providerId)).success_count as number;

      const written: string[] = [];
      const solver = powerDnsSolver(keys);
      const again = setUp(keys, { ...solver, present: async (record, value) => (written.push(value), solver.present(record, value)) }, { accounts });
      const reused = await requestCertificate(providerId, [name]);
      await again.issuer.start(reused, { user: "test", ipAddress: null, via: "test" });
      await again.drain();

      expect((await t.services.certificates.get(reused.id))!.status).toBe("active");
      expect(written).toEqual([]);
      expect((await credentialOf(providerId)).success_count).toBe(counted);
      const audit = await t.call("GET", `/api/v1/audit-logs?action=certificate_issued&resource_type=certificate&resource_id=${reused.id}`);
      expect(audit.status, JSON.stringify(audit.body)).toBe(200);
      const mine = audit.body.audit_logs as Array<{ resource_type: string; details: Record<string, unknown> }>;
      expect(mine.filter((e) => e.resource_type === "certificate")).toHaveLength(1);
      expect(mine[0]!.details).toMatchObject({ domains: [name], credential_id: null, credential_name: null, dns_challenge: false, result: "success" });
    } finally {
      await reusing.stop();
    }
  });

  it("issues once under duplicate deliveries of every message", async () => {
    const keys = new Map([[providerId, pdns.key]]);
    const { issuer, orders, drain } = setUp(keys);
    const name = `dup.${zone}`;
    const certificate = await requestCertificate(providerId, [name], { key_type: "rsa-2048" });
    const before = (await credentialOf(providerId)).success_count as number;
    await issuer.start(certificate, { user: "test", ipAddress: null, via: "test" });
    await drain(3);
    const issued = (await t.services.certificates.get(certificate.id))!;
    expect(issued.status).toBe("active");
    const material = (await orders.material(certificate.id))!;
    const leaf = await verifiedChain(material.certificatePem, material.chainPem);
    expect(leaf.publicKey.asymmetricKeyType).toBe("rsa");
    expect(leaf.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect((await credentialOf(providerId)).success_count).toBe(before + 1);
    // A late duplicate after the order closed does nothing.
    await issuer.advance(certificate.id);
    expect((await t.services.certificates.get(certificate.id))!.serial).toBe(issued.serial);
  });

  it("counts the outcome once when the worker died right after counting it and another finished the order", async () => {
    const keys = new Map([[providerId, pdns.key]]);
    // The worker that dies: it counts the outcome, then never answers again (its process is gone).
    let died!: () => void;
    const death = new Promise<void>((resolve) => (died = resolve));
    const dying = setUp(keys, undefined, {
      outcomes: {
        async recordChallengeOutcome(outcome) {
          await t.services.dnsDirectory.recordChallengeOutcome(outcome);
          died();
          return new Promise<never>(() => {});
        },
      },
    });
    const name = `crash.${zone}`;
    const certificate = await requestCertificate(providerId, [name]);
    const before = (await credentialOf(providerId)).success_count as number;
    await dying.issuer.start(certificate, { user: "test", ipAddress: null, via: "test" });
    let dead = false;
    void death.then(() => (dead = true));
    while (!dead) {
      const next = dying.pending.shift();
      if (!next) throw new Error("the order closed without recording its outcome");
      await Promise.race([dying.issuer.advance(next.message.certificateId), death]);
    }
    expect((await credentialOf(providerId)).success_count).toBe(before + 1);

    // Another worker, once the dead one's lease (120 s) is over, finishes the order: it records the outcome again.
    const later = setUp(keys, undefined, { clock: { now: () => new Date(Date.now() + 10 * 60_000) } });
    await later.issuer.advance(certificate.id);
    await later.drain();
    expect((await t.services.certificates.get(certificate.id))!).toMatchObject({ status: "active", step: null });
    expect((await credentialOf(providerId)).success_count).toBe(before + 1);
    const audit = await t.table.queryAll({ partition: `AUDITRES#certificate#${certificate.id}`, index: "gsi1" });
    expect(audit.filter((entry) => entry["action"] === "certificate_issued")).toHaveLength(1);
  });

  it("shows a retrying order's error and when it retries on the pending certificate, and clears them once it goes on", async () => {
    const keys = new Map([[providerId, pdns.key]]);
    const honest = powerDnsSolver(keys);
    const unavailable = "PowerDNS API returned 503: Service Unavailable (gave up after 2 attempts)";
    let outages = 1;
    const now = new Date(Date.now());
    const { issuer, pending, drain } = setUp(
      keys,
      {
        ...honest,
        async present(record, value) {
          if (outages-- > 0) throw new DnsProviderError({ provider: "powerdns", reason: "unavailable", message: unavailable, upstreamStatus: 503 });
          return honest.present(record, value);
        },
      },
      // A clock that stands still: the retry time is exact.
      { clock: { now: () => now } },
    );
    const certificate = await requestCertificate(providerId, [`retry.${zone}`]);
    await issuer.start(certificate, { user: "test", ipAddress: null, via: "test" });
    // Deliveries until the order waits for its retry (the first step, creating the order, goes through).
    while (pending[0]?.delaySeconds === 0) await issuer.advance(pending.shift()!.message.certificateId);
    expect(pending.map((p) => p.delaySeconds)).toEqual([5]);
    const waiting = await t.call("GET", `/api/nginx/certificates/${certificate.id}`);
    expect(waiting.body).toMatchObject({
      status: "pending",
      step: "order_created",
      error: unavailable,
      next_retry_at: new Date(now.getTime() + 5_000).toISOString(),
    });
    await drain();
    const issued = await t.call("GET", `/api/nginx/certificates/${certificate.id}`);
    expect(issued.body).toMatchObject({ status: "active", step: null, error: null, next_retry_at: null });
  });

  it("fails a step that keeps failing transiently with the very message its retries showed", async () => {
    const keys = new Map([[providerId, pdns.key]]);
    const honest = powerDnsSolver(keys);
    const unavailable = "PowerDNS API did not answer within 5 s (gave up after 2 attempts)";
    const now = new Date(Date.now());
    const { issuer, pending } = setUp(
      keys,
      {
        ...honest,
        present: async () => {
          throw new DnsProviderError({ provider: "powerdns", reason: "timeout", message: unavailable });
        },
      },
      { clock: { now: () => now } },
    );
    const certificate = await requestCertificate(providerId, [`outage.${zone}`]);
    await issuer.start(certificate, { user: "test", ipAddress: null, via: "test" });
    const shown: Array<[number, unknown, unknown]> = [];
    while (pending.length > 0) {
      const { message, delaySeconds } = pending.shift()!;
      if (delaySeconds > 0) {
        const body = (await t.call("GET", `/api/nginx/certificates/${certificate.id}`)).body;
        shown.push([delaySeconds, body.error, body.next_retry_at]);
      }
      await issuer.advance(message.certificateId);
    }
    expect(shown).toEqual(
      [5, 30, 120].map((wait) => [wait, unavailable, new Date(now.getTime() + wait * 1000).toISOString()]),
    );
    const failed = (await t.call("GET", `/api/nginx/certificates/${certificate.id}`)).body;
    expect(failed).toMatchObject({ status: "failed", step: null, error: unavailable, next_retry_at: null });
  });

  it("fails with the provider's refusal, counts the failure and leaves no value", async () => {
    const keys = new Map([[badProviderId, "not-the-api-key"]]);
    const { issuer, drain } = setUp(keys);
    const name = `refused.${zone}`;
    const certificate = await requestCertificate(badProviderId, [name]);
    await issuer.start(certificate, { user: "test", ipAddress: null, via: "test" });
    await drain();
    const failed = (await t.services.certificates.get(certificate.id))!;
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/^PowerDNS API returned 401/);
    expect(failed.error).not.toContain("not-the-api-key");
    expect(await credentialOf(badProviderId)).toMatchObject({ success_count: 0, failure_count: 1 });
    expect(await txtValues(`_acme-challenge.${name}`)).toEqual([]);
    const audit = await t.call("GET", `/api/v1/audit-logs?action=certificate_failed`);
    expect(JSON.stringify(audit.body)).toContain("PowerDNS API returned 401");
  });

  it("fails with the CA's problem when the value it reads is wrong, and still cleans up", async () => {
    const keys = new Map([[providerId, pdns.key]]);
    const honest = powerDnsSolver(keys);
    // Writes a value the CA does not expect (and removes that one again).
    const wrong = "not-the-key-authorization";
    const { issuer, drain } = setUp(keys, {
      ...honest,
      present: (record) => honest.present(record, wrong),
      cleanUp: (record) => honest.cleanUp(record, wrong),
      checkPropagation: (record) => honest.checkPropagation(record, wrong),
    });
    const name = `wrong.${zone}`;
    const certificate = await requestCertificate(providerId, [name]);
    await issuer.start(certificate, { user: "test", ipAddress: null, via: "test" });
    await drain();
    const failed = (await t.services.certificates.get(certificate.id))!;
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain(`${name}: urn:ietf:params:acme:error:unauthorized`);
    expect(await txtValues(`_acme-challenge.${name}`)).toEqual([]);
  });
});

describe("issuance limits (issue 9 §3): waits are delayed messages, driven here on a clock the test moves", () => {
  /**
   * An issuer whose limits live in the run's DynamoDB Local, on a clock that stands still while
   * a message is handled and jumps to each delayed message's time when it is delivered (earliest
   * first), as SQS would deliver them. Returns the time (s after the start) of each new-order token taken.
   */
  function limitedIssuer(limits: { newOrders: number; slots: number }, solver?: Dns01Solver, overrides: Partial<IssuerDependencies> = {}) {
    const keys = new Map([[providerId, pdns.key]]);
    const clock = manualClock(new Date());
    const start = clock.now().getTime();
    const budget = new DynamoNewOrderBudget(t.table, { capacity: limits.newOrders, refillSeconds: 36 });
    const taken: number[] = [];
    // Every test here orders with the file's one ACME account: each gets a bucket of its own.
    const bucket = randomBytes(4).toString("hex");
    const set = setUp(keys, solver, {
      clock,
      limits: {
        newOrders: {
          async take(account, now) {
            const result = await budget.take({ ...account, accountUrl: `${account.accountUrl}#${bucket}` }, now);
            if (result.taken) taken.push((now.getTime() - start) / 1000);
            return result;
          },
        },
        dnsSlots: new DynamoDnsProviderSlots(t.table, limits.slots),
      },
      ...overrides,
    });
    const scheduled: Array<{ certificateId: number; due: number }> = [];
    const schedule = () => {
      for (const { message, delaySeconds } of set.pending.splice(0)) {
        scheduled.push({ certificateId: message.certificateId, due: clock.now().getTime() + delaySeconds * 1000 });
      }
      scheduled.sort((a, b) => a.due - b.due);
    };
    /** Delivers the messages due now (none later). */
    const deliverDue = async () => {
      schedule();
      while (scheduled[0] && scheduled[0].due <= clock.now().getTime()) {
        await set.issuer.advance(scheduled.shift()!.certificateId);
        schedule();
      }
    };
    /** Delivers every message in time order until none is left. */
    const run = async () => {
      schedule();
      for (let guard = 0; scheduled.length > 0; guard++) {
        if (guard > 1000) throw new Error("the orders never settled");
        const next = scheduled.shift()!;
        clock.advance(Math.max(0, next.due - clock.now().getTime()));
        await set.issuer.advance(next.certificateId);
        schedule();
      }
    };
    return { ...set, clock, start, taken, deliverDue, run };
  }

  const actor = { user: "test", ipAddress: null, via: "test" };

  it("with a budget of 2 new orders, 2 of 4 certificates order at once; the others wait for the next tokens, pending with the reason, then complete", async () => {
    const limited = limitedIssuer({ newOrders: 2, slots: 10 });
    const certificates = [];
    for (const n of [1, 2, 3, 4]) certificates.push(await requestCertificate(providerId, [`budget${n}-${randomBytes(2).toString("hex")}.${zone}`]));
    for (const certificate of certificates) await limited.issuer.start(certificate, actor);
    await limited.deliverDue();

    expect(limited.taken).toEqual([0, 0]);
    const shown = await Promise.all(certificates.map(async (c) => (await t.call("GET", `/api/nginx/certificates/${c.id}`)).body));
    const waiting = shown.filter((body) => body.step === "requested");
    expect(waiting).toHaveLength(2);
    for (const body of waiting) {
      expect(body).toMatchObject({
        status: "pending",
        error: "Waiting for the CA's new-order budget of this ACME account",
        next_retry_at: new Date(limited.start + 36_000).toISOString(),
      });
    }

    await limited.run();
    // One token back every 36 s: the third order at 36 s, the fourth (which found it taken) at 72 s.
    expect(limited.taken).toEqual([0, 0, 36, 72]);
    for (const certificate of certificates) {
      const issued = (await t.call("GET", `/api/nginx/certificates/${certificate.id}`)).body;
      expect(issued).toMatchObject({ status: "active", step: null, error: null, next_retry_at: null });
    }
  });

  it("orders a renewal that sends replaces with the budget spent (RFC 9773 renewals are exempt); one without it waits", async () => {
    const limited = limitedIssuer({ newOrders: 1, slots: 10 });
    const certificate = await requestCertificate(providerId, [`exempt-${randomBytes(2).toString("hex")}.${zone}`]);
    await limited.issuer.start(certificate, actor);
    await limited.run();
    const issued = (await t.services.certificates.get(certificate.id))!;
    expect(issued).toMatchObject({ status: "active", ari_cert_id: expect.any(String) });
    expect(limited.taken).toEqual([0]);

    // The only token is spent; the renewal replacing the certificate orders at once, without one.
    await limited.issuer.start(issued, actor, { replaces: issued.ari_cert_id! });
    await limited.run();
    const renewed = (await t.services.certificates.get(certificate.id))!;
    expect(renewed).toMatchObject({ status: "active", error: null });
    expect(renewed.serial).not.toBe(issued.serial);
    expect(limited.taken).toEqual([0]);

    // A renewal that does not send replaces takes a token like any order, and waits for it.
    await limited.issuer.start(renewed, actor, {});
    await limited.deliverDue();
    expect((await t.call("GET", `/api/nginx/certificates/${certificate.id}`)).body).toMatchObject({
      status: "active",
      step: "requested",
      error: "Waiting for the CA's new-order budget of this ACME account",
    });
    await limited.run();
    expect(limited.taken).toEqual([0, 36]);
  });

  it("waits as long as the CA's 429 rateLimited asks (Retry-After), pending with its problem, then orders and completes", async () => {
    const real = new AcmeAccounts(t.secrets, { directoryUrl: inject("pebbleDirectoryUrl"), email: "ops@example.test" });
    // Pebble limits nothing: its first new order answers as Let's Encrypt's would past the budget.
    let refusals = 1;
    const accounts = Object.create(real) as AcmeAccounts;
    accounts.registered = async () => {
      const client = await real.registered();
      return new Proxy(client, {
        get(target, property) {
          if (property === "createOrder" && refusals-- > 0) {
            return async () => {
              throw new CaRateLimited("urn:ietf:params:acme:error:rateLimited: too many new orders (300) for this account", 1800);
            };
          }
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    };
    const limited = limitedIssuer({ newOrders: 10, slots: 10 }, undefined, { accounts });
    const certificate = await requestCertificate(providerId, [`ca429-${randomBytes(2).toString("hex")}.${zone}`]);
    await limited.issuer.start(certificate, actor);
    await limited.deliverDue();
    expect((await t.call("GET", `/api/nginx/certificates/${certificate.id}`)).body).toMatchObject({
      status: "pending",
      step: "requested",
      error: "The CA is rate-limiting this account (urn:ietf:params:acme:error:rateLimited: too many new orders (300) for this account); the order waits as long as it asks",
      next_retry_at: new Date(limited.start + 1_800_000).toISOString(),
    });
    await limited.run();
    expect((await t.call("GET", `/api/nginx/certificates/${certificate.id}`)).body).toMatchObject({ status: "active", error: null });
  });

  it("with one DNS provider slot, a second order waits before writing any value until the first removed its own, then completes", async () => {
    // Each value is seen by the first propagation check after the one that wrote it, so an
    // order holds its slot across one delayed message.
    const honest = powerDnsSolver(new Map([[providerId, pdns.key]]));
    const checked = new Set<string>();
    const limited = limitedIssuer(
      { newOrders: 10, slots: 1 },
      {
        ...honest,
        async checkPropagation(record, value, receipt) {
          if (!checked.has(value)) {
            checked.add(value);
            return { propagated: false, servers: [] };
          }
          return honest.checkPropagation(record, value, receipt);
        },
      },
    );
    const first = await requestCertificate(providerId, [`slot1-${randomBytes(2).toString("hex")}.${zone}`]);
    const second = await requestCertificate(providerId, [`slot2-${randomBytes(2).toString("hex")}.${zone}`]);
    await limited.issuer.start(first, actor);
    await limited.issuer.start(second, actor);
    await limited.deliverDue();

    // The first holds the slot while the CA validates; the second has its ACME order, but wrote nothing.
    const waiting = (await t.call("GET", `/api/nginx/certificates/${second.id}`)).body;
    expect(waiting).toMatchObject({ status: "pending", step: "order_created", error: expect.stringMatching(/^Waiting for a free slot of the DNS provider/) });
    expect(Date.parse(waiting.next_retry_at) - limited.start).toBeLessThanOrEqual(10_000);
    expect(await txtValues(`_acme-challenge.${second.domain_names[0]}`)).toEqual([]);
    expect(await txtValues(`_acme-challenge.${first.domain_names[0]}`)).toHaveLength(1);

    await limited.run();
    for (const certificate of [first, second]) {
      expect((await t.call("GET", `/api/nginx/certificates/${certificate.id}`)).body).toMatchObject({ status: "active", error: null });
    }
    // Both gave their slot back: a third order takes it at once.
    expect(await new DynamoDnsProviderSlots(t.table, 1).acquire(providerId, "a-third-order", limited.clock.now(), new Date(limited.clock.now().getTime() + 60_000))).toEqual({ held: true });
  });
});
