/**
 * The authorisation matrix: every operation of /api/openapi.json, called with no token, a bad
 * token, a read token, a scoped token for another resource type, a scoped token for the
 * operation's own type and access, and a full token; then the scoped ones again through the
 * console's session cookie (with its CSRF token), which must grant exactly what the token does.
 * An operation without `x-charon-access` or without a sample request below fails the run, so a
 * new route cannot skip the matrix. The session routes (`x-charon-access: "session"`) are called
 * with each caller's cookie instead of its bearer token.
 */
import { generateKeyPairSync } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { planRenewal, resourceTypes, type ResourceType } from "@charon/core";
import { DynamoCrowdSecDecisionRepository, DynamoIssuanceRepository } from "@charon/aws";
import { privateKeyContext } from "@charon/acme";
import { FAKE_CLOUDFLARE_TOKEN, testActor, testApi } from "../support/api.js";
import { operationsOf, responseProblems, type OpenApiDocument } from "../support/openapi.js";

const api = await testApi({ standardDns: false, issuance: true });
afterAll(() => api.stop());
const document = (await (await api.call("GET", "/api/openapi.json", { token: null })).json()) as OpenApiDocument;
let unique = 0;
let sharedSubscription: number | undefined;

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
  /** A certificate with material in service, as an order stores it (the files are placeholders). */
  async issuedCertificate(): Promise<number> {
    const id = await fixtures.certificate();
    const orders = new DynamoIssuanceRepository(api.table);
    const order = await orders.claim(id, "matrix", new Date(), new Date(Date.now() + 60_000));
    if (order === undefined || "heldUntil" in order) throw new Error(`certificate ${id} has no open order`);
    const sealedKey = await api.sealer!.seal("-----BEGIN PRIVATE KEY-----\nplaceholder\n-----END PRIVATE KEY-----\n", privateKeyContext(id));
    const pem = "-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----\n";
    const now = new Date().toISOString();
    await orders.storeIssued({ ...order, step: "stored" }, "matrix", { certificatePem: pem, chainPem: pem, sealedKey }, {
      issued_at: now,
      expires_on: now,
      serial: "01",
      issuer: "CN=matrix",
      key_type: "ecdsa-p256",
      validations: [],
      ari_cert_id: null,
    }, planRenewal(undefined, { kind: "issued", validity: { issuedAt: new Date(now), expiresAt: new Date(now) }, renewalInfo: false }, new Date(now)));
    return id;
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
  /** A new webhook subscription (to a name: the outbound policy checks names only when connecting). */
  async subscription(): Promise<number> {
    const saved = await api.services.notifications.create({ url: `https://hooks-${++unique}.example.com/charon`, events: ["certificate_failed"] }, testActor);
    return saved.subscription.id;
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
await new DynamoCrowdSecDecisionRepository(api.table).replaceForAgent("edge-1", [{
  id: 1,
  origin: "crowdsec",
  scope: "Ip",
  value: "192.0.2.10",
  type: "ban",
  scenario: "crowdsecurity/ssh-bf",
  duration: "4h",
  until: new Date(Date.now() + 4 * 3600_000).toISOString(),
}]);

/** A fresh agent public key (JWK, EC P-256), as an agent registers it. */
function agentPublicKey(): Record<string, unknown> {
  const { kty, crv, x, y } = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });
  return { kty, crv, x, y };
}

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
  "POST /api/v1/sessions": () => ({ path: "/api/v1/sessions", body: { token: api.tokens.full } }),
  "GET /api/v1/sessions/current": () => ({ path: "/api/v1/sessions/current" }),
  "DELETE /api/v1/sessions/current": () => ({ path: "/api/v1/sessions/current" }),
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
  "GET /api/nginx/certificates/{id}/download": async () => ({ path: `/api/nginx/certificates/${await fixtures.issuedCertificate()}/download` }),
  "POST /api/v1/renewals/run": () => ({ path: "/api/v1/renewals/run" }),
  "GET /api/security/waf": () => ({ path: "/api/security/waf" }),
  "GET /api/security/crowdsec/decisions": () => ({ path: "/api/security/crowdsec/decisions?ip=192.0.2.10" }),
  "GET /api/v1/settings": () => ({ path: "/api/v1/settings" }),
  "PUT /api/v1/settings": () => ({ path: "/api/v1/settings", body: { renewal_window_days: 21 } }),
  "GET /api/v1/audit-logs": () => ({ path: "/api/v1/audit-logs" }),
  "GET /api/v1/agent/snapshot": () => ({ path: "/api/v1/agent/snapshot" }),
  "POST /api/v1/agent/reports": () => ({
    path: "/api/v1/agent/reports",
    body: { agent_id: `matrix-${++unique}`, version: "0.1.0", driver: "nginx", applied_etag: null, proxy_error: null, hosts: [], problems: [] },
  }),
  "GET /api/v1/agents": () => ({ path: "/api/v1/agents" }),
  "GET /api/v1/certificates/summary": () => ({ path: "/api/v1/certificates/summary" }),
  "GET /api/v1/notifications": () => ({ path: "/api/v1/notifications" }),
  "POST /api/v1/notifications": () => ({ path: "/api/v1/notifications", body: { url: "https://hooks.example.com/new", events: ["certificate_expiring"] } }),
  // One subscription for the reads and changes (at most 50 may exist), a fresh one per delete.
  "GET /api/v1/notifications/{id}": async () => ({ path: `/api/v1/notifications/${(sharedSubscription ??= await fixtures.subscription())}` }),
  "PATCH /api/v1/notifications/{id}": async () => ({
    path: `/api/v1/notifications/${(sharedSubscription ??= await fixtures.subscription())}`,
    body: { expiring_days: 14 },
  }),
  "DELETE /api/v1/notifications/{id}": async () => ({ path: `/api/v1/notifications/${await fixtures.subscription()}` }),
  "PUT /api/v1/agents/{agent_id}/key": () => ({ path: `/api/v1/agents/matrix-${++unique}/key`, body: { public_key: agentPublicKey() } }),
  "POST /api/v1/agents/{agent_id}/key/approve": async () => {
    const agentId = `matrix-${++unique}`;
    const { thumbprint } = await api.services.agents.registerKey(testActor, agentId, agentPublicKey());
    return { path: `/api/v1/agents/${agentId}/key/approve`, body: { thumbprint } };
  },
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

type Caller = "none" | "bad" | "read" | "other scope" | "own scope, read only" | "own scope" | "full";
const callers: Caller[] = ["none", "bad", "read", "other scope", "own scope, read only", "own scope", "full"];
/** The callers whose rights the session cookie must carry over exactly. */
const sessionCallers: Caller[] = ["other scope", "own scope, read only", "own scope"];

function tokenFor(caller: Caller, resource: ResourceType): string | null {
  switch (caller) {
    case "none":
      return null;
    case "bad":
      return "chrn_not-a-token-this-api-issued";
    case "read":
      return api.tokens.read;
    case "other scope":
      return api.tokens.write[resourceTypes.find((r) => r !== resource)!];
    case "own scope, read only":
      return api.tokens.readOnly[resource];
    case "own scope":
      return api.tokens.write[resource];
    case "full":
      return api.tokens.full;
  }
}

/** "2xx", 401 or 403: what each caller must get. */
function expected(caller: Caller, access: "read" | "write"): "2xx" | 401 | 403 {
  if (caller === "none" || caller === "bad") return 401;
  if (caller === "other scope") return 403;
  if (caller === "read" || caller === "own scope, read only") return access === "read" ? "2xx" : 403;
  return "2xx";
}

const operations = operationsOf(document);

interface DeclaredAccess {
  resource: ResourceType;
  access: "read" | "write";
  requires?: Array<{ resource: ResourceType; access: "read" | "write"; when: string }>;
  embeds?: ResourceType[];
}
const declaredAccess = (entry: (typeof operations)[number]) =>
  entry.operation["x-charon-access"] as DeclaredAccess | "public" | "session" | undefined;

/** A token with exactly these scopes. */
const scoped = (scopes: Partial<Record<ResourceType, "read" | "write">>) => api.issue({ permission: "scoped", scopes });

/** A certificate with a DNS provider and a credential for its name, and a host serving it. */
async function hostWithCertificate(): Promise<{ hostId: number; certificateId: number }> {
  const certificateId = await fixtures.certificate();
  const certificate = await api.services.certificates.get(certificateId);
  const host = await api.services.proxyHosts.create(testActor, {
    domain_names: certificate.domain_names,
    forward_host: "10.0.0.5",
    forward_port: 3000,
    certificate_id: certificateId,
  });
  return { hostId: host.id, certificateId };
}

/**
 * The requests of the cross-resource rows, keyed as `samples`: `embeds` answers with objects of
 * every type its route declares in `embeds`; `requires` sends the body its rule applies to.
 */
const newCertificate = { certificate_id: "new", meta: { dns_challenge: true, dns_provider_id: certificateProvider } };
const crossSamples: Record<string, { requires?: () => Promise<SampleRequest>; embeds?: () => Promise<SampleRequest> }> = {
  "GET /api/nginx/proxy-hosts": { embeds: async () => (await hostWithCertificate(), { path: "/api/nginx/proxy-hosts?limit=500" }) },
  "GET /api/nginx/proxy-hosts/{id}": { embeds: async () => ({ path: `/api/nginx/proxy-hosts/${(await hostWithCertificate()).hostId}` }) },
  "POST /api/nginx/proxy-hosts": {
    requires: () =>
      Promise.resolve({
        path: "/api/nginx/proxy-hosts",
        body: { domain_names: [`cross-${++unique}.example.com`], forward_host: "10.0.0.6", forward_port: 80, ...newCertificate },
      }),
    embeds: async () => {
      const certificate = await api.services.certificates.get(await fixtures.certificate());
      return {
        path: "/api/nginx/proxy-hosts",
        body: { domain_names: certificate.domain_names, forward_host: "10.0.0.6", forward_port: 80, certificate_id: certificate.id },
      };
    },
  },
  "PUT /api/nginx/proxy-hosts/{id}": {
    requires: async () => ({ path: `/api/nginx/proxy-hosts/${(await hostWithCertificate()).hostId}`, body: newCertificate }),
    embeds: async () => ({ path: `/api/nginx/proxy-hosts/${(await hostWithCertificate()).hostId}`, body: { forward_port: 8080 } }),
  },
  "POST /api/nginx/proxy-hosts/{id}/enable": {
    embeds: async () => ({ path: `/api/nginx/proxy-hosts/${(await hostWithCertificate()).hostId}/enable` }),
  },
  "POST /api/nginx/proxy-hosts/{id}/disable": {
    embeds: async () => ({ path: `/api/nginx/proxy-hosts/${(await hostWithCertificate()).hostId}/disable` }),
  },
  "GET /api/nginx/certificates": { embeds: async () => (await fixtures.certificate(), { path: "/api/nginx/certificates?limit=500" }) },
  "GET /api/nginx/certificates/{id}": { embeds: async () => ({ path: `/api/nginx/certificates/${await fixtures.certificate()}` }) },
  "POST /api/nginx/certificates": {
    embeds: () =>
      Promise.resolve({
        path: "/api/nginx/certificates",
        body: { provider: "letsencrypt", domain_names: [`c-${++unique}.example.com`], meta: { dns_provider_id: certificateProvider } },
      }),
  },
  "POST /api/nginx/certificates/{id}/renew": {
    embeds: async () => ({ path: `/api/nginx/certificates/${await fixtures.certificate()}/renew` }),
  },
  "GET /api/security/waf": { embeds: async () => (await hostWithCertificate(), { path: "/api/security/waf" }) },
};

/**
 * Which other resource types an answer shows more of than their ids: a host's certificate, a
 * DNS provider's type or name, a credential's name (`credential_name`, `issued_using`), the
 * names of the WAF status's hosts.
 */
function shownTypes(body: unknown): ResourceType[] {
  const found = new Set<ResourceType>();
  const walk = (value: unknown, key: string | undefined): void => {
    if (Array.isArray(value)) return value.forEach((item) => walk(item, key));
    if (value === null || typeof value !== "object") return;
    const object = value as Record<string, unknown>;
    if (key === "certificate") found.add("certificates");
    if (key === "dns_provider" && ("type" in object || "name" in object)) found.add("dns_providers");
    if ("credential_name" in object || typeof object["issued_using"] === "string") found.add("dns_providers");
    if (key === "hosts" && Object.values(object).flat().some((host) => typeof host === "object" && host !== null && "domain_names" in host)) {
      found.add("proxy_hosts");
    }
    for (const [name, child] of Object.entries(object)) walk(child, name);
  };
  walk(body, undefined);
  return [...found].sort();
}

/** Audit entries and certificates that name `domain`: what a refused request must not leave. */
async function tracesOf(domain: string): Promise<string[]> {
  const entries = (await api.services.auditLog.list({}, { limit: 1000 })).items;
  const certificates = (await api.services.certificates.list({ limit: 500 })).items;
  return [
    ...entries.filter((e) => e.resourceName?.includes(domain)).map((e) => `audit ${e.action}`),
    ...certificates.filter((c) => c.domain_names.includes(domain)).map((c) => `certificate ${c.id}`),
  ];
}

describe("authorisation matrix", () => {
  it("has a declared permission and a sample request for every operation, and no stale samples", () => {
    const undeclared = operations.filter((o) => o.operation["x-charon-access"] === undefined).map((o) => o.key);
    const unsampled = operations.filter((o) => !(o.key in samples)).map((o) => o.key);
    const stale = Object.keys(samples).filter((key) => !operations.some((o) => o.key === key));
    expect({ undeclared, unsampled, stale }).toEqual({ undeclared: [], unsampled: [], stale: [] });
  });

  describe.each(operations.filter((o) => o.key in samples))("$key", ({ key, method, operation }) => {
    const declared = operation["x-charon-access"];
    /** A session route's caller signs in with its token and calls with the cookie (none: no cookie, bad: a made-up one). */
    const sessionHeaders = async (caller: Caller): Promise<Record<string, string>> => {
      if (caller === "none") return {};
      if (caller === "bad") return { Cookie: "charon_session=not-a-session" };
      return (await api.signIn(tokenFor(caller, "tokens")!)).withCsrf;
    };
    it.each(callers)("%s", async (caller) => {
      const sample = await samples[key]!();
      const isPublic = declared === "public";
      const isSession = declared === "session";
      const token = isPublic
        ? caller === "none" || caller === "bad"
          ? caller === "bad"
            ? "chrn_not-a-token"
            : null
          : api.tokens.full
        : isSession
          ? null
          : tokenFor(caller, declared!.resource as ResourceType);
      const headers = isSession ? await sessionHeaders(caller) : {};
      const response = await api.call(method.toUpperCase(), sample.path, { token, body: sample.body, headers });
      // The certificate download is a zip; every other answer is JSON.
      const json = (response.headers.get("content-type") ?? "").includes("json");
      const body: unknown = response.status === 204 ? undefined : json ? await response.json() : undefined;
      const want = isPublic ? "2xx" : isSession ? (caller === "none" || caller === "bad" ? 401 : "2xx") : expected(caller, declared!.access);
      if (want === "2xx") {
        expect(response.status, JSON.stringify(body)).toBeGreaterThanOrEqual(200);
        expect(response.status, JSON.stringify(body)).toBeLessThan(300);
      } else {
        expect(response.status, JSON.stringify(body)).toBe(want);
      }
      expect(responseProblems(document, method, sample.path, response.status, body)).toEqual([]);
    });

    if (typeof declared === "object") {
      it.each(sessionCallers)("%s, through the session cookie", async (caller) => {
        const sample = await samples[key]!();
        const session = await api.signIn(tokenFor(caller, declared.resource as ResourceType)!);
        const response = await api.call(method.toUpperCase(), sample.path, { token: null, body: sample.body, headers: session.withCsrf });
        const json = (response.headers.get("content-type") ?? "").includes("json");
        const body: unknown = response.status === 204 ? undefined : json ? await response.json() : undefined;
        const want = expected(caller, declared.access as "read" | "write");
        if (want === "2xx") {
          expect(response.status, JSON.stringify(body)).toBeGreaterThanOrEqual(200);
          expect(response.status, JSON.stringify(body)).toBeLessThan(300);
        } else {
          expect(response.status, JSON.stringify(body)).toBe(want);
        }
      });
    }
  });
});

/**
 * A side door checks the permission of the door it bypasses, and an answer shows objects of
 * another type only to tokens that may read that type (ids otherwise). Every operation that
 * declares `requires` or `embeds` must have a row here.
 */
describe("cross-resource access", () => {
  const crossing = operations.filter((o) => {
    const declared = declaredAccess(o);
    return typeof declared === "object" && (declared.requires !== undefined || declared.embeds !== undefined);
  });

  it("has a row for every operation that needs a second permission or embeds another type", () => {
    const missing = crossing.flatMap((o) => {
      const declared = declaredAccess(o) as DeclaredAccess;
      const row = crossSamples[o.key];
      return [
        ...(declared.requires !== undefined && row?.requires === undefined ? [`${o.key} requires`] : []),
        ...(declared.embeds !== undefined && row?.embeds === undefined ? [`${o.key} embeds`] : []),
      ];
    });
    expect(missing).toEqual([]);
    expect(Object.keys(crossSamples).filter((key) => !crossing.some((o) => o.key === key))).toEqual([]);
    // The paths the authorisation sweep found, declared.
    const declared = (key: string) => declaredAccess(operations.find((o) => o.key === key)!) as DeclaredAccess;
    expect(declared("POST /api/nginx/proxy-hosts").requires).toEqual([{ resource: "certificates", access: "write", when: 'certificate_id is "new"' }]);
    expect(declared("PUT /api/nginx/proxy-hosts/{id}").requires).toHaveLength(1);
    expect(declared("GET /api/nginx/proxy-hosts/{id}").embeds).toEqual(["certificates", "dns_providers"]);
    expect(declared("GET /api/nginx/certificates/{id}").embeds).toEqual(["dns_providers"]);
    expect(declared("GET /api/security/waf").embeds).toEqual(["proxy_hosts"]);
  });

  for (const entry of crossing.filter((o) => o.key in crossSamples)) {
    const declared = declaredAccess(entry) as DeclaredAccess;
    const own = { [declared.resource]: declared.access };
    const call = async (token: string, sample: SampleRequest) => {
      const response = await api.call(entry.method.toUpperCase(), sample.path, { token, body: sample.body });
      const body = (await response.json()) as Record<string, unknown>;
      expect(responseProblems(document, entry.method, sample.path, response.status, body)).toEqual([]);
      return { status: response.status, body };
    };

    for (const rule of declared.requires ?? []) {
      it(`${entry.key}: ${rule.when} needs ${rule.resource} ${rule.access}: 403 and nothing done with ${declared.resource} ${declared.access} alone`, async () => {
        const sample = await crossSamples[entry.key]!.requires!();
        const names = (sample.body as { domain_names?: string[] }).domain_names;
        const hostId = /\/(\d+)$/.exec(sample.path)?.[1];
        const domain = names?.[0] ?? (await api.services.proxyHosts.get(Number(hostId))).domain_names[0]!;
        const before = { traces: await tracesOf(domain), host: hostId === undefined ? undefined : await api.services.proxyHosts.get(Number(hostId)) };
        const { status, body } = await call(await scoped(own), sample);
        expect(status, JSON.stringify(body)).toBe(403);
        expect(body["message"]).toContain(`manage ${rule.resource}`);
        const after = { traces: await tracesOf(domain), host: hostId === undefined ? undefined : await api.services.proxyHosts.get(Number(hostId)) };
        expect(after).toEqual(before);
        const granted = await call(await scoped({ ...own, [rule.resource]: rule.access }), sample);
        expect(granted.status, JSON.stringify(granted.body)).toBeLessThan(300);
        expect((await tracesOf(domain)).length).toBeGreaterThan(before.traces.length);
      });
    }

    const embeds = declared.embeds;
    if (embeds !== undefined) {
      const [direct] = embeds;
      const sample = crossSamples[entry.key]!.embeds!;
      it(`${entry.key}: embeds ${embeds.join(", ")} by id only for ${declared.resource} ${declared.access} alone`, async () => {
        const alone = await call(await scoped(own), await sample());
        expect(alone.status, JSON.stringify(alone.body)).toBeLessThan(300);
        expect(shownTypes(alone.body)).toEqual([]);
        const withDirect = await call(await scoped({ ...own, [direct!]: "read" }), await sample());
        expect(shownTypes(withDirect.body)).toEqual([direct]);
        const full = await call(api.tokens.full, await sample());
        expect(shownTypes(full.body)).toEqual([...embeds].sort());
      });
    }
  }
});
