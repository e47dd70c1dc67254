import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync, strFromU8 } from "fflate";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createApp } from "@charon/api";
import { InProcessWorkQueue, LocalKeySealer } from "@charon/local";
import { createServices, createWorkHandler } from "@charon/runtime";
import { freshTable } from "../harness/dynamodb.js";
import { capturingLogger, loopbackAllowed, temporarySecretStore, type JsonBody } from "../support/dns-app.js";

/**
 * Issue 9's end-to-end test: certificates requested through the public API are issued by the
 * run's Pebble, which checks every DNS-01 value on the run's PowerDNS, where the values are
 * written through a multi-credential PowerDNS provider chosen per name (zone-matching.md,
 * dns-01.md). Waiting is the in-process work queue's delayed messages; the test polls the API.
 */
const s = randomBytes(3).toString("hex");
const zones = {
  a: `customer-a-${s}.test`,
  b: `customer-b-${s}.test`,
  example: `example-${s}.test`,
  sub: `sub.customer-a-${s}.test`,
  validation: `validation-${s}.test`,
};
const pdns = { url: inject("powerdnsApiUrl"), key: inject("powerdnsApiKey") };
const token = `chrn_${randomBytes(24).toString("hex")}`;

let call: (method: string, path: string, body?: unknown, as?: string) => Promise<{ status: number; body: JsonBody; bytes: Uint8Array }>;
let stop: () => Promise<void>;
let logLines: string[];
let providerId: number;
const credentialIds: Record<string, number> = {};

async function pdnsRequest(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${pdns.url}/api/v1/servers/localhost${path}`, {
    method,
    headers: { "x-api-key": pdns.key, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function createZone(name: string, records: Array<{ name: string; type: string; content: string }> = []): Promise<void> {
  const response = await pdnsRequest("POST", "/zones", {
    name: `${name}.`,
    kind: "Native",
    nameservers: [`ns1.${name}.`],
    rrsets: records.map((r) => ({ name: `${r.name}.`, type: r.type, ttl: 60, records: [{ content: r.content, disabled: false }] })),
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

/** Every `_acme-challenge` TXT record left in the test's zones. */
async function leftoverChallenges(): Promise<string[]> {
  const left: string[] = [];
  for (const zone of Object.values(zones)) {
    const body = (await (await pdnsRequest("GET", `/zones/${zone}.`)).json()) as { rrsets: Array<{ name: string; type: string; records: unknown[] }> };
    for (const rrset of body.rrsets) {
      if (rrset.type === "TXT" && rrset.name.startsWith("_acme-challenge.") && rrset.records.length > 0) left.push(rrset.name);
    }
  }
  return left;
}

async function request(names: string[], meta: Record<string, unknown> = {}): Promise<number> {
  const created = await call("POST", "/api/nginx/certificates", {
    provider: "letsencrypt",
    domain_names: names,
    meta: { dns_challenge: true, dns_provider_id: providerId, ...meta },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(created.body).toMatchObject({ status: "pending", step: "requested" });
  return created.body.id;
}

/**
 * Polls the API until the order ends: not pending, and no step (an issued certificate is `active`
 * at `stored`, while its values are still being removed). The queue's delayed messages run meanwhile.
 */
async function settled(id: number): Promise<JsonBody> {
  await expect
    .poll(async () => {
      const { status, step } = (await call("GET", `/api/nginx/certificates/${id}`)).body;
      return status !== "pending" && step === null;
    }, { timeout: 120_000, interval: 200 })
    .toBe(true);
  return (await call("GET", `/api/nginx/certificates/${id}`)).body;
}

/** The downloaded files, the chain checked link by link up to Pebble's root. */
async function downloaded(id: number): Promise<{ leaf: X509Certificate; files: Record<string, string> }> {
  const response = await call("GET", `/api/nginx/certificates/${id}/download`);
  expect(response.status).toBe(200);
  const files = Object.fromEntries(Object.entries(unzipSync(response.bytes)).map(([name, data]) => [name, strFromU8(data)]));
  expect(Object.keys(files).sort()).toEqual(["cert.pem", "chain.pem", "fullchain.pem", "privkey.pem"]);
  const root = new X509Certificate(await (await fetch(`${inject("pebbleManagementUrl")}/roots/0`)).text());
  const leaf = new X509Certificate(files["cert.pem"]!);
  const chain = files["chain.pem"]!.split(/(?=-----BEGIN CERTIFICATE-----)/).filter(Boolean).map((pem) => new X509Certificate(pem));
  let child = leaf;
  for (const parent of [...chain, root]) {
    expect(child.verify(parent.publicKey)).toBe(true);
    child = parent;
  }
  expect(files["fullchain.pem"]).toBe(files["cert.pem"]! + files["chain.pem"]!);
  expect(leaf.checkPrivateKey(createPrivateKey(files["privkey.pem"]!))).toBe(true);
  return { leaf, files };
}

function sans(leaf: X509Certificate): string[] {
  return (leaf.subjectAltName ?? "").split(", ").map((n) => n.replace(/^DNS:/, "")).sort();
}

async function credential(name: string): Promise<JsonBody> {
  const response = await call("GET", `/api/v1/dns-providers/${providerId}/credentials/${credentialIds[name]}`);
  expect(response.status).toBe(200);
  return response.body;
}

beforeAll(async () => {
  await createZone(zones.a, [{ name: `sub.${zones.a}`, type: "NS", content: `ns1.${zones.sub}.` }]);
  await createZone(zones.sub);
  await createZone(zones.b);
  await createZone(zones.validation);
  // acme.sh's alias mode: the example zone hands `delegated.`'s validation to the validation zone.
  await createZone(zones.example, [
    { name: `_acme-challenge.delegated.${zones.example}`, type: "CNAME", content: `_acme-challenge.delegated.${zones.validation}.` },
  ]);

  const table = await freshTable();
  const secrets = await temporarySecretStore();
  const secretsDirectory = await mkdtemp(join(tmpdir(), "charon-issuance-"));
  const captured = capturingLogger();
  logLines = captured.lines;
  const queue = new InProcessWorkQueue({ logger: captured.logger, concurrency: 8 });
  const services = createServices({
    table,
    secrets,
    workQueue: queue,
    dnsClientOptions: { retries: 0, timeoutMs: 5_000, outbound: loopbackAllowed },
    authFailureLimits: { maxFailures: 1_000_000, windowSeconds: 60 },
    issuance: {
      sealer: new LocalKeySealer({ dataDirectory: secretsDirectory, key: randomBytes(32) }),
      logger: captured.logger,
      acme: { directoryUrl: inject("pebbleDirectoryUrl"), email: "ops@example.test" },
      resolvers: inject("powerdnsDnsAddress"),
    },
  });
  queue.start(createWorkHandler(services, captured.logger));
  await services.tokens.ensureBootstrapToken(token);
  const app = createApp({ services, logger: captured.logger });
  call = async (method, path, body, as = token) => {
    const response = await app.request(path, {
      method,
      headers: { Authorization: `Bearer ${as}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    const text = strFromU8(bytes);
    const json = (response.headers.get("content-type") ?? "").includes("json") && text ? (JSON.parse(text) as JsonBody) : text;
    return { status: response.status, body: json, bytes };
  };
  stop = () => queue.stop();

  expect((await call("PUT", "/api/v1/settings", { dns_polling_interval_seconds: 1 })).status).toBe(200);
  const provider = await call("POST", "/api/v1/dns-providers", {
    name: "PowerDNS",
    acme_dns_provider: "powerdns",
    meta: { PDNS_API_URL: pdns.url, PDNS_API_KEY: pdns.key },
  });
  expect(provider.status, JSON.stringify(provider.body)).toBe(201);
  providerId = provider.body.id;
  credentialIds["catch-all"] = provider.body.primary_credential_id;
  expect((await call("POST", `/api/v1/dns-providers/${providerId}/enable-multi-credential`)).status).toBe(200);
  const filtered: Array<[string, string, string]> = [
    ["Customer A", zones.a, pdns.key],
    ["Customer B", zones.b, "a-key-powerdns-refuses"],
    ["Validation", zones.validation, pdns.key],
  ];
  for (const [name, zoneFilter, apiKey] of filtered) {
    const created = await call("POST", `/api/v1/dns-providers/${providerId}/credentials`, {
      name,
      zone_filter: zoneFilter,
      credentials: { api_url: pdns.url, api_key: apiKey },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    credentialIds[name] = created.body.id;
  }
});

afterAll(async () => {
  await stop?.();
});

describe("certificates issued over ACME DNS-01 (Pebble + PowerDNS)", () => {
  const issued: Record<string, number> = {};

  it("issues a single name, an apex + wildcard pair, a catch-all name and a delegated name, two orders for one name at once", async () => {
    const wanted: Record<string, string[]> = {
      single: [`shop.${zones.a}`],
      pair: [zones.a, `*.${zones.a}`],
      deep: [`www.${zones.sub}`],
      catchAll: [`www.${zones.example}`],
      delegated: [`delegated.${zones.example}`],
      twiceFirst: [`api.${zones.a}`],
      twiceSecond: [`api.${zones.a}`],
    };
    const ids = Object.fromEntries(
      await Promise.all(Object.entries(wanted).map(async ([key, names]) => [key, await request(names, key === "single" ? { key_type: "ecdsa-p384" } : {})] as const)),
    );
    Object.assign(issued, ids);
    const expectedCredential: Record<string, string> = {
      single: "Customer A",
      pair: "Customer A",
      deep: "Customer A",
      catchAll: "catch-all",
      delegated: "Validation",
      twiceFirst: "Customer A",
      twiceSecond: "Customer A",
    };
    const serials = new Set<string>();
    for (const [key, names] of Object.entries(wanted)) {
      const certificate = await settled(ids[key]!);
      expect(certificate, `${key}: ${certificate.error}`).toMatchObject({ status: "active", error: null, step: null });
      const { leaf } = await downloaded(ids[key]!);
      expect(sans(leaf)).toEqual([...names].sort());
      expect(certificate.serial).toBe(leaf.serialNumber.toLowerCase());
      serials.add(certificate.serial);
      expect(certificate.validations.map((v: JsonBody) => v.dns_credential.id)).toEqual(names.map(() => credentialIds[expectedCredential[key]!]));
    }
    expect(serials.size).toBe(Object.keys(wanted).length);
    const delegated = await call("GET", `/api/nginx/certificates/${ids["delegated"]}`);
    expect(delegated.body.validations[0]).toMatchObject({
      record_name: `_acme-challenge.delegated.${zones.example}`,
      effective_record_name: `_acme-challenge.delegated.${zones.validation}`,
    });
    const p384 = await downloaded(ids["single"]!);
    expect(p384.leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe("secp384r1");
  }, 180_000);

  it("fails a name on the refused key with PowerDNS's reason, and counts it", async () => {
    const id = await request([`shop.${zones.b}`]);
    const certificate = await settled(id);
    expect(certificate.status).toBe("failed");
    expect(certificate.error).toMatch(/^PowerDNS API returned 401/);
    expect(JSON.stringify(certificate)).not.toContain("a-key-powerdns-refuses");
    expect(await credential("Customer B")).toMatchObject({ success_count: 0, failure_count: 1 });
    expect((await call("GET", `/api/nginx/certificates/${id}/download`)).status).toBe(404);
  }, 90_000);

  it("records statistics and audit entries that match, and leaves no challenge value behind", async () => {
    // Customer A answered single, pair (one order, two names), deep, and the two orders for api.
    expect(await credential("Customer A")).toMatchObject({ success_count: 5, failure_count: 0 });
    expect(await credential("Validation")).toMatchObject({ success_count: 1, failure_count: 0 });
    expect(await credential("catch-all")).toMatchObject({ success_count: 1, failure_count: 0 });
    const issuedEntries = (await call("GET", "/api/v1/audit-logs?action=certificate_issued&limit=100")).body;
    const entries = issuedEntries.audit_logs as JsonBody[];
    expect(entries.filter((e) => e.details.credential_id === credentialIds["Customer A"])).toHaveLength(5);
    const failedEntries = (await call("GET", "/api/v1/audit-logs?action=certificate_failed&limit=100")).body;
    const failures = failedEntries.audit_logs as JsonBody[];
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ details: { credential_id: credentialIds["Customer B"], result: "failure" } });
    expect(failures[0].details.error).toMatch(/^PowerDNS API returned 401/);
    expect(await leftoverChallenges()).toEqual([]);
    // Each step was logged under the certificate, and no private key was.
    const issuanceLines = logLines.filter((line) => line.includes('"category":"certificate_issuance"'));
    expect(issuanceLines.some((line) => line.includes(`"certificate_id":${issued["pair"]}`))).toBe(true);
    expect(logLines.join("\n")).not.toContain("PRIVATE KEY");
  });

  it("refuses at request time a name that selects no credential, directly or through delegation", async () => {
    const other = await call("POST", "/api/v1/dns-providers", {
      name: "PowerDNS filtered only",
      acme_dns_provider: "powerdns",
      meta: { PDNS_API_URL: pdns.url, PDNS_API_KEY: pdns.key },
    });
    await call("POST", `/api/v1/dns-providers/${other.body.id}/enable-multi-credential`);
    await call("PATCH", `/api/v1/dns-providers/${other.body.id}/credentials/${other.body.primary_credential_id}`, { enabled: false });
    const refused = await call("POST", "/api/nginx/certificates", {
      provider: "letsencrypt",
      domain_names: [`www.${zones.b}`],
      meta: { dns_challenge: true, dns_provider_id: other.body.id },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.details ?? refused.body.message).toBe(`No credential found for provider 'powerdns' and zone '${zones.b}'`);
  });

  it("hands the private key only to tokens that may manage certificates, and says why", async () => {
    const read = await call("POST", "/api/v1/tokens", { name: "reader", permission: "scoped", scopes: { certificates: "read" }, expires_at: null });
    const denied = await call("GET", `/api/nginx/certificates/${issued["single"]}/download`, undefined, read.body.token);
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.body)).toContain("the download holds the private key, so it needs certificates write");
  });
});
