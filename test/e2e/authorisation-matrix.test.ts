/**
 * The authorisation matrix: every operation of /api/openapi.json, called with no token, a bad
 * token, a read token, a scoped token for another resource type, a scoped token for the
 * operation's own type and access, and a full token. An operation without `x-charon-access` or
 * without a sample request below fails the run, so a new route cannot skip the matrix.
 */
import { afterAll, describe, expect, it } from "vitest";
import { resourceTypes, type ResourceType } from "@charon/core";
import { DynamoCrowdSecDecisionRepository } from "@charon/aws";
import { FAKE_CLOUDFLARE_TOKEN, testActor, testApi } from "../support/api.js";
import { operationsOf, responseProblems, type OpenApiDocument } from "../support/openapi.js";

const api = await testApi({ realDns: true });
afterAll(() => api.stop());
const document = (await (await api.call("GET", "/api/openapi.json", { token: null })).json()) as OpenApiDocument;
let unique = 0;

/** Fresh resources for one call, so a delete always has something to delete. */
const fixtures = {
  async host(): Promise<number> {
    unique++;
    const host = await api.services.proxyHosts.create(testActor, {
      domain_names: [`matrix-${unique}.example.com`],
      forward_host: "10.0.0.5",
      forward_port: 3000,
    });
    return host.id;
  },
  async certificate(): Promise<number> {
    unique++;
    const certificate = await api.services.certificates.create(testActor, {
      provider: "letsencrypt",
      domain_names: [`cert-${unique}.example.com`],
      meta: { dns_challenge: true, dns_provider_id: certificateProvider },
    });
    return certificate.id;
  },
  async provider(): Promise<number> {
    const meta = { CF_API_TOKEN: FAKE_CLOUDFLARE_TOKEN };
    const view = await api.services.dnsProviders.create({ name: `Cloudflare ${++unique}`, type: "cloudflare", meta }, testActor);
    return view.provider.id;
  },
  async multiCredentialProvider(): Promise<number> {
    const id = await fixtures.provider();
    await api.services.dnsProviders.enableMultiCredential(id, testActor);
    return id;
  },
  /** `{providerId}/credentials/{credentialId}` of a new credential no certificate uses. */
  async credentialPath(): Promise<string> {
    const providerId = await fixtures.multiCredentialProvider();
    const saved = await api.services.credentials.create(
      providerId,
      { name: `Zone ${++unique}`, zoneFilter: `zone-${unique}.example.com`, credentials: { api_token: FAKE_CLOUDFLARE_TOKEN } },
      testActor,
    );
    return `${providerId}/credentials/${saved.credential.id}`;
  },
  /** A token any `tokens:write` holder may revoke (it grants only `tokens:read`). */
  async weakTokenId(): Promise<number> {
    const { token } = await api.services.tokens.create(
      { tokenId: 0, name: "matrix", permission: "full", scopes: {} },
      testActor,
      { name: "to-revoke", permission: "scoped", scopes: { tokens: "read" }, expiresAt: null },
    );
    return token.id;
  },
};

const certificateProvider = await fixtures.provider();
await new DynamoCrowdSecDecisionRepository(api.table).record({
  origin: "crowdsec",
  scope: "Ip",
  value: "192.0.2.10",
  type: "ban",
  scenario: "crowdsecurity/ssh-bf",
  duration: "4h",
  until: new Date(Date.now() + 4 * 3600_000).toISOString(),
  agent: "edge-1",
});

interface SampleRequest {
  path: string;
  body?: unknown;
}

/**
 * One minimal valid request per operation, keyed `METHOD /path/{template}`. Adding a route means
 * adding one line here.
 */
const samples: Record<string, () => SampleRequest | Promise<SampleRequest>> = {
  "GET /api/health": () => ({ path: "/api/health" }),
  "GET /api/v1/tokens": () => ({ path: "/api/v1/tokens" }),
  "POST /api/v1/tokens": () => ({ path: "/api/v1/tokens", body: { name: "m", permission: "scoped", scopes: { tokens: "read" } } }),
  "DELETE /api/v1/tokens/{id}": async () => ({ path: `/api/v1/tokens/${await fixtures.weakTokenId()}` }),
  "GET /api/nginx/proxy-hosts": () => ({ path: "/api/nginx/proxy-hosts" }),
  "POST /api/nginx/proxy-hosts": () => ({
    path: "/api/nginx/proxy-hosts",
    body: { domain_names: [`new-${++unique}.example.com`], forward_host: "10.0.0.6", forward_port: 80 },
  }),
  "GET /api/nginx/proxy-hosts/{id}": async () => ({ path: `/api/nginx/proxy-hosts/${await fixtures.host()}` }),
  "PUT /api/nginx/proxy-hosts/{id}": async () => ({ path: `/api/nginx/proxy-hosts/${await fixtures.host()}`, body: { forward_port: 8080 } }),
  "DELETE /api/nginx/proxy-hosts/{id}": async () => ({ path: `/api/nginx/proxy-hosts/${await fixtures.host()}` }),
  "POST /api/nginx/proxy-hosts/{id}/enable": async () => ({ path: `/api/nginx/proxy-hosts/${await fixtures.host()}/enable` }),
  "POST /api/nginx/proxy-hosts/{id}/disable": async () => ({ path: `/api/nginx/proxy-hosts/${await fixtures.host()}/disable` }),
  "GET /api/nginx/certificates": () => ({ path: "/api/nginx/certificates" }),
  "POST /api/nginx/certificates": () => ({
    path: "/api/nginx/certificates",
    body: { provider: "letsencrypt", domain_names: [`c-${++unique}.example.com`], meta: { dns_challenge: true, dns_provider: "cloudflare" } },
  }),
  "GET /api/nginx/certificates/{id}": async () => ({ path: `/api/nginx/certificates/${await fixtures.certificate()}` }),
  "DELETE /api/nginx/certificates/{id}": async () => ({ path: `/api/nginx/certificates/${await fixtures.certificate()}` }),
  "POST /api/nginx/certificates/{id}/renew": async () => ({ path: `/api/nginx/certificates/${await fixtures.certificate()}/renew` }),
  "GET /api/security/waf": () => ({ path: "/api/security/waf" }),
  "GET /api/security/crowdsec/decisions": () => ({ path: "/api/security/crowdsec/decisions?ip=192.0.2.10" }),
  "GET /api/v1/settings": () => ({ path: "/api/v1/settings" }),
  "PUT /api/v1/settings": () => ({ path: "/api/v1/settings", body: { renewal_window_days: 21 } }),
  "GET /api/v1/audit-logs": () => ({ path: "/api/v1/audit-logs" }),
  ...dnsProviderSamples("/api/nginx/dns-providers"),
  ...dnsProviderSamples("/api/v1/dns-providers"),
};

/** The DNS provider collection is mounted under two prefixes (api-conventions.md). */
function dnsProviderSamples(prefix: string): Record<string, () => Promise<SampleRequest> | SampleRequest> {
  const cloudflare = { CF_API_TOKEN: FAKE_CLOUDFLARE_TOKEN };
  const credential = { api_token: FAKE_CLOUDFLARE_TOKEN };
  return {
    [`GET ${prefix}/types`]: () => ({ path: `${prefix}/types` }),
    [`GET ${prefix}`]: () => ({ path: prefix }),
    [`POST ${prefix}`]: () => ({ path: prefix, body: { name: `P ${++unique}`, acme_dns_provider: "cloudflare", meta: cloudflare } }),
    [`GET ${prefix}/{id}`]: async () => ({ path: `${prefix}/${await fixtures.provider()}` }),
    [`PUT ${prefix}/{id}`]: async () => ({ path: `${prefix}/${await fixtures.provider()}`, body: { name: `Renamed ${++unique}` } }),
    [`PATCH ${prefix}/{id}`]: async () => ({ path: `${prefix}/${await fixtures.provider()}`, body: { name: `Renamed ${++unique}` } }),
    [`DELETE ${prefix}/{id}`]: async () => ({ path: `${prefix}/${await fixtures.provider()}` }),
    [`POST ${prefix}/{id}/enable-multi-credential`]: async () => ({ path: `${prefix}/${await fixtures.provider()}/enable-multi-credential` }),
    [`POST ${prefix}/{id}/disable-multi-credential`]: async () => ({
      path: `${prefix}/${await fixtures.multiCredentialProvider()}/disable-multi-credential`,
    }),
    [`GET ${prefix}/{id}/match`]: async () => ({ path: `${prefix}/${await fixtures.provider()}/match?domain=www.example.com` }),
    [`GET ${prefix}/{id}/statistics`]: async () => ({ path: `${prefix}/${await fixtures.provider()}/statistics` }),
    [`GET ${prefix}/{id}/credentials`]: async () => ({ path: `${prefix}/${await fixtures.multiCredentialProvider()}/credentials` }),
    [`POST ${prefix}/{id}/credentials`]: async () => ({
      path: `${prefix}/${await fixtures.multiCredentialProvider()}/credentials`,
      body: { name: "Customer B", zone_filter: "*.customer-b.com", credentials: credential },
    }),
    [`POST ${prefix}/{id}/credentials/test`]: async () => ({
      path: `${prefix}/${await fixtures.multiCredentialProvider()}/credentials/test`,
      body: { credentials: credential },
    }),
    [`GET ${prefix}/{id}/credentials/{credentialId}`]: async () => ({ path: `${prefix}/${await fixtures.credentialPath()}` }),
    [`PATCH ${prefix}/{id}/credentials/{credentialId}`]: async () => ({
      path: `${prefix}/${await fixtures.credentialPath()}`,
      body: { description: "changed" },
    }),
    [`DELETE ${prefix}/{id}/credentials/{credentialId}`]: async () => ({ path: `${prefix}/${await fixtures.credentialPath()}` }),
    [`POST ${prefix}/{id}/credentials/{credentialId}/test`]: async () => ({ path: `${prefix}/${await fixtures.credentialPath()}/test` }),
  };
}

type Caller = "none" | "bad" | "read" | "other scope" | "own scope" | "full";
const callers: Caller[] = ["none", "bad", "read", "other scope", "own scope", "full"];

function tokenFor(caller: Caller, resource: ResourceType, access: "read" | "write"): string | null {
  switch (caller) {
    case "none":
      return null;
    case "bad":
      return "chrn_not-a-token-this-api-issued";
    case "read":
      return api.tokens.read;
    case "other scope":
      return api.tokens.write[resourceTypes.find((r) => r !== resource)!];
    case "own scope":
      return (access === "write" ? api.tokens.write : api.tokens.readOnly)[resource];
    case "full":
      return api.tokens.full;
  }
}

/** "2xx", 401 or 403: what each caller must get. */
function expected(caller: Caller, access: "read" | "write"): "2xx" | 401 | 403 {
  if (caller === "none" || caller === "bad") return 401;
  if (caller === "other scope") return 403;
  if (caller === "read") return access === "read" ? "2xx" : 403;
  return "2xx";
}

const operations = operationsOf(document);

describe("authorisation matrix", () => {
  it("has a declared permission and a sample request for every operation, and no stale samples", () => {
    const undeclared = operations.filter((o) => o.operation["x-charon-access"] === undefined).map((o) => o.key);
    const unsampled = operations.filter((o) => !(o.key in samples)).map((o) => o.key);
    const stale = Object.keys(samples).filter((key) => !operations.some((o) => o.key === key));
    expect({ undeclared, unsampled, stale }).toEqual({ undeclared: [], unsampled: [], stale: [] });
  });

  describe.each(operations.filter((o) => o.key in samples))("$key", ({ key, method, operation }) => {
    const declared = operation["x-charon-access"];
    it.each(callers)("%s", async (caller) => {
      const sample = await samples[key]!();
      const isPublic = declared === "public";
      const token = isPublic
        ? caller === "none" || caller === "bad"
          ? caller === "bad"
            ? "chrn_not-a-token"
            : null
          : api.tokens.full
        : tokenFor(caller, declared!.resource as ResourceType, declared!.access);
      const response = await api.call(method.toUpperCase(), sample.path, { token, body: sample.body });
      const body: unknown = response.status === 204 ? undefined : await response.json();
      const want = isPublic ? "2xx" : expected(caller, declared!.access);
      if (want === "2xx") {
        expect(response.status, JSON.stringify(body)).toBeGreaterThanOrEqual(200);
        expect(response.status, JSON.stringify(body)).toBeLessThan(300);
      } else {
        expect(response.status, JSON.stringify(body)).toBe(want);
      }
      expect(responseProblems(document, method, sample.path, response.status, body)).toEqual([]);
    });
  });
});
