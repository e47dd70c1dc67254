import { randomBytes } from "node:crypto";
import { CreateHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { cloudflareGlobalKey, cloudflareToken, startFakeCloudflare } from "../fakes/cloudflare/index.js";
import { digitalOceanToken, startFakeDigitalOcean } from "../fakes/digitalocean/index.js";
import { dnsTestApp, type DnsTestApp } from "../support/dns-app.js";

/**
 * `POST …/credentials/{id}/test` and `POST …/credentials/test` call the provider for real:
 * PowerDNS (the harness's pdns_server), Route 53 (moto), Cloudflare and DigitalOcean (fakes).
 */
let t: DnsTestApp;
let cloudflare: Awaited<ReturnType<typeof startFakeCloudflare>>;
let digitalocean: Awaited<ReturnType<typeof startFakeDigitalOcean>>;
const suffix = randomBytes(4).toString("hex");
const pdnsZone = `pdns-${suffix}.example`;
const cfScopedToken = cloudflareToken();
const cfGlobalKey = cloudflareGlobalKey();
const doToken = digitalOceanToken();

beforeAll(async () => {
  [cloudflare, digitalocean] = await Promise.all([startFakeCloudflare(), startFakeDigitalOcean()]);
  t = await dnsTestApp({
    dnsClientOptions: { endpoints: { cloudflare: cloudflare.url, digitalocean: digitalocean.url }, timeoutMs: 3000, retries: 0 },
  });
  const response = await fetch(`${inject("powerdnsApiUrl")}/api/v1/servers/localhost/zones`, {
    method: "POST",
    headers: { "x-api-key": inject("powerdnsApiKey"), "content-type": "application/json" },
    body: JSON.stringify({ name: `${pdnsZone}.`, kind: "Native", nameservers: [`ns1.${pdnsZone}.`] }),
  });
  expect(response.status).toBe(201);
});
afterAll(async () => {
  await Promise.all([cloudflare?.stop(), digitalocean?.stop()]);
});

async function multiProvider(type: string, meta: Record<string, string>): Promise<number> {
  const created = await t.call("POST", "/api/v1/dns-providers", { name: `${type} ${randomBytes(3).toString("hex")}`, acme_dns_provider: type, meta });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await t.call("POST", `/api/v1/dns-providers/${created.body.id}/enable-multi-credential`);
  await t.call("PATCH", `/api/v1/dns-providers/${created.body.id}/credentials/${created.body.primary_credential_id}`, { enabled: false });
  return created.body.id;
}

async function saved(providerId: number, zoneFilter: string, credentials: Record<string, string>) {
  const created = await t.call("POST", `/api/v1/dns-providers/${providerId}/credentials`, {
    name: `Cred ${randomBytes(3).toString("hex")}`,
    zone_filter: zoneFilter,
    credentials,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return (await t.call("POST", `/api/v1/dns-providers/${providerId}/credentials/${created.body.id}/test`)).body;
}

describe("PowerDNS (real pdns_server)", () => {
  const good = () => ({ api_url: inject("powerdnsApiUrl"), api_key: inject("powerdnsApiKey") });
  let providerId: number;
  beforeAll(async () => {
    providerId = await multiProvider("powerdns", { PDNS_API_URL: inject("powerdnsApiUrl"), PDNS_API_KEY: inject("powerdnsApiKey") });
  });

  it("success: authenticates and lists the zones", async () => {
    const result = await saved(providerId, `*.${pdnsZone}`, good());
    expect(result).toMatchObject({ status: "success", message: "Credential validated successfully", details: { provider: "powerdns", test_performed: "zone_list" } });
    expect(result.details.accessible_zones).toContain(pdnsZone);
  });

  it("warning: authenticates but cannot see a zone its filter names", async () => {
    const result = await saved(providerId, `${pdnsZone},other-${suffix}.example`, good());
    expect(result).toMatchObject({
      status: "warning",
      message: `Credential works but cannot access zone named by its zone filter: other-${suffix}.example`,
      details: { provider: "powerdns", missing_zones: [`other-${suffix}.example`] },
    });
  });

  it("failed: a wrong API key, with the provider's status", async () => {
    const result = await saved(providerId, `wrong-${suffix}.example`, { ...good(), api_key: "not-the-key" });
    expect(result).toMatchObject({ status: "failed", message: "API authentication failed", details: { provider: "powerdns", error_code: "401" } });
  });

  it("records the test on the credential and in the audit log", async () => {
    const created = await t.call("POST", `/api/v1/dns-providers/${providerId}/credentials`, {
      name: "Audited",
      zone_filter: `audited-${suffix}.example`,
      credentials: good(),
    });
    await t.call("POST", `/api/v1/dns-providers/${providerId}/credentials/${created.body.id}/test`);
    const credential = await t.call("GET", `/api/v1/dns-providers/${providerId}/credentials/${created.body.id}`);
    expect(credential.body.last_test_status).toBe("warning");
    expect(credential.body.last_tested_at).not.toBeNull();
    const entries = await t.call("GET", `/api/v1/audit-logs?resource_type=dns_credential&resource_id=${created.body.id}&action=credential_tested`);
    expect(entries.body.audit_logs).toHaveLength(1);
    expect(entries.body.audit_logs[0]).toMatchObject({ action: "credential_tested", details: { status: "warning", test_performed: "zone_list" } });
  });

  it("tests unsaved credentials before saving them", async () => {
    const result = await t.call("POST", `/api/v1/dns-providers/${providerId}/credentials/test`, {
      name: "Not saved yet",
      zone_filter: `*.${pdnsZone}`,
      credentials: { PDNS_API_URL: inject("powerdnsApiUrl"), PDNS_API_KEY: inject("powerdnsApiKey") },
    });
    expect(result.status).toBe(200);
    expect(result.body.status).toBe("success");
    const missing = await t.call("POST", `/api/v1/dns-providers/${providerId}/credentials/test`, { credentials: { PDNS_API_KEY: "k" } });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe("PowerDNS needs api_url and api_key");
  });
});

describe("Cloudflare (fake)", () => {
  let providerId: number;
  beforeAll(async () => {
    cloudflare.state.addZone(`cf-${suffix}.com`);
    cloudflare.state.addZone(`hidden-${suffix}.com`);
    cloudflare.state.addToken(cfScopedToken, { zones: [`cf-${suffix}.com`] });
    cloudflare.state.addGlobalKey("ops@example.com", cfGlobalKey);
    providerId = await multiProvider("cloudflare", { CF_API_TOKEN: cfScopedToken });
  });

  it("token: success, and a warning for a zone the token cannot see", async () => {
    expect(await saved(providerId, `*.cf-${suffix}.com`, { api_token: cfScopedToken })).toEqual({
      status: "success",
      message: "Credential validated successfully",
      details: { provider: "cloudflare", test_performed: "zone_list", accessible_zones: [`cf-${suffix}.com`] },
    });
    expect((await saved(providerId, `hidden-${suffix}.com`, { api_token: cfScopedToken })).status).toBe("warning");
  });

  it("global key and e-mail", async () => {
    const result = await saved(providerId, `sub.hidden-${suffix}.com`, { api_key: cfGlobalKey, email: "ops@example.com" });
    expect(result.status).toBe("success");
  });

  it("invalid credentials fail with the provider's code and words", async () => {
    const result = await saved(providerId, `x-${suffix}.com`, { api_token: cloudflareToken() });
    expect(result).toEqual({
      status: "failed",
      message: "API authentication failed",
      details: { provider: "cloudflare", error_code: "401", error_message: "Invalid API Token" },
    });
  });

  it("a provider that times out or answers garbage is a failed test, never a 500", async () => {
    const created = await t.call("POST", `/api/v1/dns-providers/${providerId}/credentials`, {
      name: "Unlucky",
      zone_filter: `unlucky-${suffix}.com`,
      credentials: { api_token: cfScopedToken },
    });
    const test = () => t.call("POST", `/api/v1/dns-providers/${providerId}/credentials/${created.body.id}/test`);
    cloudflare.state.hangNext();
    const slow = await test();
    expect(slow.status).toBe(200);
    expect(slow.body).toMatchObject({ status: "failed", message: "Provider API timed out", details: { error_code: "timeout" } });
    cloudflare.state.garbageNext();
    const garbage = await test();
    expect(garbage.status).toBe(200);
    expect(garbage.body).toMatchObject({ status: "failed", message: "Provider API returned an unexpected response" });
    cloudflare.state.failNext(503);
    const down = await test();
    expect(down.body).toMatchObject({ status: "failed", message: "Provider API is unavailable", details: { error_code: "503" } });
  });
});

describe("DigitalOcean (fake)", () => {
  it("success and failure", async () => {
    digitalocean.state.addDomain(`do-${suffix}.net`);
    digitalocean.state.addToken(doToken);
    const providerId = await multiProvider("digitalocean", { DO_AUTH_TOKEN: doToken });
    const good = await saved(providerId, `do-${suffix}.net`, { api_token: doToken });
    expect(good).toMatchObject({ status: "success", details: { provider: "digitalocean", accessible_zones: [`do-${suffix}.net`] } });
    const bad = await saved(providerId, `bad-${suffix}.net`, { DO_AUTH_TOKEN: digitalOceanToken() });
    expect(bad).toMatchObject({ status: "failed", message: "API authentication failed", details: { error_code: "401" } });
  });
});

describe("Route 53 (moto)", () => {
  it("lists hosted zones with the credential", async () => {
    const zone = `r53-${suffix}.example.org`;
    const direct = new Route53Client({ region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    await direct.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: randomBytes(8).toString("hex") }));
    const providerId = await multiProvider("route53", { AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" });
    const result = await saved(providerId, `*.${zone}`, { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" });
    expect(result).toMatchObject({ status: "success", details: { provider: "route53" } });
    expect(result.details.accessible_zones).toContain(zone);
  });
});
