import { randomBytes } from "node:crypto";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SecretStoreError, type SecretStore } from "@charon/core";
import { startFakeCloudflare } from "../fakes/cloudflare/index.js";
import { dnsTestApp, temporarySecretStore, type DnsTestApp } from "../support/dns-app.js";
import { certificateFor } from "./helpers.js";

/**
 * The canary: a representative run of every DNS-provider operation with known secret values,
 * then a scan of every response body, every log line, every audit entry and every item in the
 * table for any of those values, as they are and base64-encoded. None may appear.
 */
// 40 characters: the form of a Cloudflare API token, so the Cloudflare fake takes them.
const canary = (label: string) => `canary-${label}-${randomBytes(20).toString("hex")}`.slice(0, 40);
const SECRETS = {
  providerToken: canary("provider"),
  rotatedProviderToken: canary("rotated"),
  customerToken: canary("customer"),
  rotatedCustomerToken: canary("customer-rotated"),
  globalKey: canary("global-key"),
  awsSecret: `wJalrXUtnFEMI/K7MDENG/${randomBytes(12).toString("base64")}`,
  awsAccessKey: `AKIA${randomBytes(8).toString("hex").toUpperCase()}`,
  doToken: canary("do"),
  pdnsKey: canary("pdns"),
  unsavedToken: canary("unsaved"),
  rejectedToken: canary("rejected"),
  echoedToken: canary("echoed"),
  failedWriteToken: canary("failed-write"),
};
const forms = Object.values(SECRETS).flatMap((s) => [s, Buffer.from(s).toString("base64"), Buffer.from(s).toString("base64url")]);

let t: DnsTestApp;
let cloudflare: Awaited<ReturnType<typeof startFakeCloudflare>>;
const responses: string[] = [];
let failingCreates = false;

beforeAll(async () => {
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addZone("customer-a.com");
  for (const token of [SECRETS.providerToken, SECRETS.rotatedProviderToken, SECRETS.customerToken, SECRETS.echoedToken]) {
    cloudflare.state.addToken(token);
  }
  const store = await temporarySecretStore();
  const secrets: SecretStore = {
    create: (name, value) =>
      failingCreates ? Promise.reject(new SecretStoreError(name, `secret '${name}' could not be written (injected)`)) : store.create(name, value),
    get: (name) => store.get(name),
    delete: (name) => store.delete(name),
    list: (prefix) => store.list(prefix),
  };
  t = await dnsTestApp({ secrets, dnsClientOptions: { endpoints: { cloudflare: cloudflare.url } } });
});
afterAll(() => cloudflare?.stop());

async function call(method: string, path: string, body?: unknown) {
  const answer = await t.call(method, path, body);
  responses.push(answer.text, JSON.stringify([...answer.headers.entries()]));
  return answer;
}

describe("secret canary", () => {
  it("no response, log line, audit entry or stored item contains a secret value", async () => {
    // Providers of every type, in both spellings.
    const cf = await call("POST", "/api/nginx/dns-providers", { name: "CF", acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: SECRETS.providerToken } });
    await call("POST", "/api/v1/dns-providers", {
      name: "AWS",
      acme_dns_provider: "route53",
      meta: { access_key_id: SECRETS.awsAccessKey, secret_access_key: SECRETS.awsSecret, region: "eu-west-1" },
    });
    await call("POST", "/api/v1/dns-providers", { name: "DO", acme_dns_provider: "digitalocean", meta: { DO_AUTH_TOKEN: SECRETS.doToken } });
    await call("POST", "/api/v1/dns-providers", {
      name: "PDNS",
      acme_dns_provider: "powerdns",
      meta: { PDNS_API_URL: inject("powerdnsApiUrl"), PDNS_API_KEY: SECRETS.pdnsKey },
    });
    const id: number = cf.body.id;
    const base = `/api/v1/dns-providers/${id}`;
    await call("PUT", `/api/nginx/dns-providers/${id}`, { meta: { CF_API_TOKEN: SECRETS.rotatedProviderToken } });
    await call("POST", `${base}/enable-multi-credential`);

    // Credentials: create, list, read, rotate, test (success, failure, an upstream echoing the token).
    const customer = await call("POST", `${base}/credentials`, {
      name: "Customer A",
      zone_filter: "*.customer-a.com",
      credentials: { api_token: SECRETS.customerToken },
    });
    const keyed = await call("POST", `${base}/credentials`, {
      name: "Keyed",
      zone_filter: "example.org",
      credentials: { CF_API_KEY: SECRETS.globalKey, CF_API_EMAIL: "ops@example.com" },
    });
    await certificateFor(t, id, ["shop.customer-a.com"]);
    await call("GET", "/api/nginx/certificates");
    await call("GET", "/api/nginx/proxy-hosts");
    await call("GET", `${base}/credentials`);
    await call("GET", `${base}/credentials/${customer.body.id}`);
    await call("POST", `${base}/credentials/${customer.body.id}/test`);
    await call("POST", `${base}/credentials/${keyed.body.id}/test`);
    await call("PATCH", `${base}/credentials/${customer.body.id}`, { credentials: { api_token: SECRETS.rotatedCustomerToken }, description: "rotated" });
    await call("POST", `${base}/credentials/${customer.body.id}/test`);
    await call("POST", `${base}/credentials/test`, { credentials: { api_token: SECRETS.unsavedToken }, zone_filter: "customer-a.com" });
    cloudflare.state.failNext(403, 1, {
      body: JSON.stringify({ success: false, errors: [{ code: 9109, message: `Invalid access token ${SECRETS.echoedToken}` }], messages: [], result: null }),
    });
    const echoed = await call("POST", `${base}/credentials/test`, { credentials: { api_token: SECRETS.echoedToken } });
    expect(echoed.body.status).toBe("failed");

    // Rejected input that carries secrets: conflicts, unknown and duplicated fields, bad filters.
    for (const body of [
      { name: "Customer A", credentials: { api_token: SECRETS.rejectedToken } },
      { name: "Dup", zone_filter: "*.customer-a.com", credentials: { api_token: SECRETS.rejectedToken } },
      { name: "Unknown", credentials: { api_tokn: SECRETS.rejectedToken } },
      { name: "Twice", credentials: { api_token: SECRETS.rejectedToken, CF_API_TOKEN: SECRETS.rejectedToken } },
      { name: "Mixed", credentials: { api_token: SECRETS.rejectedToken, api_key: SECRETS.rejectedToken } },
      { name: "Bad filter", zone_filter: "bad..example.com", credentials: { api_token: SECRETS.rejectedToken } },
      { name: "Unknown field", credentials: { api_token: SECRETS.rejectedToken }, secret: SECRETS.rejectedToken },
    ]) {
      expect((await call("POST", `${base}/credentials`, body)).status).toBeGreaterThanOrEqual(400);
    }
    const numeric = await call("POST", `${base}/credentials`, { name: "Number", credentials: { api_token: 12345678 } });
    expect(numeric.body.message).toMatch(/api_token.*string/);
    expect((await call("POST", "/api/v1/dns-providers", { name: "X", acme_dns_provider: "nope", meta: { token: SECRETS.rejectedToken } })).status).toBe(400);

    // A failing secret store: a 500, logged.
    failingCreates = true;
    expect((await call("POST", `${base}/credentials`, { name: "Failing", zone_filter: "failing.example.com", credentials: { api_token: SECRETS.failedWriteToken } })).status).toBe(500);
    failingCreates = false;

    // Everything that reads: providers, match, statistics, the audit log and its exports.
    for (const path of [
      "/api/nginx/dns-providers",
      `/api/nginx/dns-providers/${id}`,
      `${base}/match?domain=shop.customer-a.com`,
      `${base}/statistics`,
      "/api/v1/audit-logs?from=2000-01-01T00:00:00Z&limit=1000",
      "/api/v1/audit-logs?from=2000-01-01T00:00:00Z&format=csv",
      "/api/v1/audit-logs?from=2000-01-01T00:00:00Z&format=json",
      "/api/openapi.json",
    ]) {
      expect((await call("GET", path)).status).toBe(200);
    }
    await call("DELETE", `${base}/credentials/${keyed.body.id}`);
    await call("POST", `${base}/disable-multi-credential`);

    const table = (await t.table.client.send(new ScanCommand({ TableName: t.table.name }))).Items ?? [];
    const audit = table.filter((item) => String(item["pk"]).startsWith("AUDIT#"));
    expect(audit.length).toBeGreaterThan(15);
    expect(t.logLines.some((line) => line.includes("unhandled error"))).toBe(true);

    const haystacks = { responses, logLines: t.logLines, audit: audit.map((a) => JSON.stringify(a)), table: table.map((i) => JSON.stringify(i)) };
    for (const [where, texts] of Object.entries(haystacks)) {
      const leaks = texts.flatMap((text) => forms.filter((form) => text.includes(form)).map((form) => `${where}: ${form}`));
      expect(leaks, where).toEqual([]);
    }
    // The canary would have sung: the secrets did reach the store.
    const primary = (await t.services.credentials.get(id, cf.body.primary_credential_id)).credential;
    expect(await t.secrets.get(primary.secretName)).toEqual({ api_token: SECRETS.rotatedProviderToken });
  });
});
