import { describe, expect, it } from "vitest";
import { NotFoundError } from "@charon/core";
import { DynamoCertificateRepository, credentialKey, usageKey } from "@charon/aws";
import { testActor, testApi } from "../../../test/support/api.js";

const request = (overrides: Record<string, unknown> = {}) => ({
  provider: "letsencrypt",
  domain_names: ["secure.example.com"],
  meta: { dns_challenge: true, dns_provider: "cloudflare" },
  ...overrides,
});

describe("certificates", () => {
  it("stores a request as pending with the DNS provider and each name's credential", async () => {
    const api = await testApi();
    const created = await api.send("POST", "/api/nginx/certificates", {
      body: request({ domain_names: ["Shop.Customer-A.com", "www.example.com", "*.customer-a.com"] }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      provider: "letsencrypt",
      status: "pending",
      expires_on: null,
      domain_names: ["shop.customer-a.com", "www.example.com", "*.customer-a.com"],
      nice_name: "shop.customer-a.com, www.example.com, *.customer-a.com",
      meta: { dns_challenge: true, dns_provider: "cloudflare", dns_provider_id: api.dns!.cloudflare.id },
      dns_provider: { id: api.dns!.cloudflare.id, type: "cloudflare", name: "Cloudflare Production" },
      credentials: [
        { domain: "shop.customer-a.com", credential_id: api.dns!.cloudflare.customerA, credential_name: "Customer A" },
        { domain: "www.example.com", credential_id: api.dns!.cloudflare.production, credential_name: "Production" },
        { domain: "*.customer-a.com", credential_id: api.dns!.cloudflare.customerA, credential_name: "Customer A" },
      ],
    });
    expect((await api.send("GET", `/api/nginx/certificates/${created.body.id}`)).body).toEqual(created.body);
    expect((await api.send("GET", "/api/nginx/certificates")).body).toEqual([created.body]);
  });

  it("writes one usage item per name and moves each credential's usage_count, both ways", async () => {
    const api = await testApi();
    const created = (await api.send("POST", "/api/nginx/certificates", {
      body: request({ domain_names: ["a.customer-a.com", "b.customer-a.com", "www.example.com"] }),
    })).body;
    const count = async (credentialId: number) => (await api.table.get(credentialKey(api.dns!.cloudflare.id, credentialId)))?.["usage_count"];
    expect(await count(api.dns!.cloudflare.customerA)).toBe(2);
    expect(await count(api.dns!.cloudflare.production)).toBe(1);
    const usage = await api.table.get(usageKey({ providerId: api.dns!.cloudflare.id, domain: "a.customer-a.com", certificateId: created.id }));
    expect(usage).toMatchObject({ credential_id: api.dns!.cloudflare.customerA, certificate_id: created.id });
    const served = await api.table.queryAll({ partition: `CREDUSAGE#${api.dns!.cloudflare.id}#${api.dns!.cloudflare.customerA}`, index: "gsi1" });
    expect(served.map((u) => u["domain"]).sort()).toEqual(["a.customer-a.com", "b.customer-a.com"]);

    await api.send("DELETE", `/api/nginx/certificates/${created.id}`);
    expect(await count(api.dns!.cloudflare.customerA)).toBe(0);
    expect(await count(api.dns!.cloudflare.production)).toBe(0);
    expect(await api.table.queryAll({ partition: `CREDUSAGE#${api.dns!.cloudflare.id}#${api.dns!.cloudflare.customerA}`, index: "gsi1" })).toEqual([]);
  });

  it("stores 100 names (more usage items than one transaction holds) and removes them all", async () => {
    const api = await testApi();
    const names = Array.from({ length: 100 }, (_, i) => (i % 2 ? `n${i}.customer-a.com` : `n${i}.example.org`));
    const created = await api.send("POST", "/api/nginx/certificates", { body: request({ domain_names: names }) });
    expect(created.status).toBe(201);
    const usage = () => api.table.queryAll({ partition: `PROVIDER#${api.dns!.cloudflare.id}`, prefix: "USAGE#" });
    expect(await usage()).toHaveLength(100);
    expect((await api.table.get(credentialKey(api.dns!.cloudflare.id, api.dns!.cloudflare.customerA)))?.["usage_count"]).toBe(50);
    expect((await api.table.get(credentialKey(api.dns!.cloudflare.id, api.dns!.cloudflare.production)))?.["usage_count"]).toBe(50);
    expect((await api.send("DELETE", `/api/nginx/certificates/${created.body.id}`)).status).toBe(200);
    expect(await usage()).toHaveLength(0);
    expect((await api.table.get(credentialKey(api.dns!.cloudflare.id, api.dns!.cloudflare.customerA)))?.["usage_count"]).toBe(0);
  });

  it("a delete that lost the race to another delete is a 404, not 'in use'", async () => {
    const api = await testApi();
    const created = (await api.send("POST", "/api/nginx/certificates", { body: request() })).body;
    // Both requests read the certificate; the other one deletes it first.
    const seenByBoth = await api.services.certificates.get(created.id);
    expect((await api.send("DELETE", `/api/nginx/certificates/${created.id}`)).status).toBe(200);
    const late = new DynamoCertificateRepository(api.table).delete(seenByBoth, {
      timestamp: new Date().toISOString(),
      action: "certificate_deleted",
      resourceType: "certificate",
      resourceId: created.id,
      resourceName: created.nice_name,
      provider: "cloudflare",
      zoneFilter: null,
      user: testActor.user,
      ipAddress: null,
      details: {},
    });
    await expect(late).rejects.toThrow(NotFoundError);
    expect((await api.table.get(credentialKey(api.dns!.cloudflare.id, api.dns!.cloudflare.production)))?.["usage_count"]).toBe(0);
  });

  it("takes meta.dns_provider_id, and asks for it when a type is ambiguous", async () => {
    const api = await testApi();
    const ambiguous = await api.send("POST", "/api/nginx/certificates", { body: request({ meta: { dns_provider: "route53" } }) });
    // The request is sound; the two stored Route 53 providers make it ambiguous (docs/decisions/0018).
    expect(ambiguous.status).toBe(409);
    // Exactly the two there are: no "…" promising more.
    const [main, legacy] = [api.dns!.route53Main.id, api.dns!.route53Legacy.id].sort((a, b) => a - b);
    expect(ambiguous.body.message).toBe(
      `meta.dns_provider: several DNS providers of type 'route53' are configured (${main}, ${legacy}); choose one with meta.dns_provider_id`,
    );
    const byId = await api.send("POST", "/api/nginx/certificates", { body: request({ meta: { dns_provider_id: api.dns!.route53Legacy.id } }) });
    expect(byId.status).toBe(201);
    expect(byId.body.credentials).toEqual([{ domain: "secure.example.com", credential_id: api.dns!.route53Legacy.legacy, credential_name: "Legacy" }]);
    expect((await api.send("POST", "/api/nginx/certificates", { body: request({ meta: { dns_provider_id: 9 } }) })).status).toBe(404);
  });

  it("names at most five of the providers of an ambiguous type, then '…'", async () => {
    const api = await testApi();
    const ids = [api.dns!.route53Main.id, api.dns!.route53Legacy.id];
    for (let i = 0; i < 4; i++) {
      const created = await api.send("POST", "/api/nginx/dns-providers", {
        body: { name: `AWS ${i}`, acme_dns_provider: "route53", meta: { AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "x" } },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      ids.push(created.body.id);
    }
    const ambiguous = await api.send("POST", "/api/nginx/certificates", { body: request({ meta: { dns_provider: "route53" } }) });
    expect(ambiguous.status).toBe(409);
    const shown = ids.sort((a, b) => a - b).slice(0, 5).join(", ");
    expect(ambiguous.body.message).toBe(
      `meta.dns_provider: several DNS providers of type 'route53' are configured (${shown}, …); choose one with meta.dns_provider_id`,
    );
  });

  it("keeps once a name listed again in another form (case, trailing dot), as certbot and lego do", async () => {
    const api = await testApi();
    const response = await api.send("POST", "/api/nginx/certificates", {
      body: request({ domain_names: ["a.example.com", "A.Example.com.", "b.example.com", "a.example.com"] }),
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.body.domain_names).toEqual(["a.example.com", "b.example.com"]);
  });

  it.each([
    [request({ provider: "other" }), "provider:"],
    [request({ domain_names: [] }), "domain_names: Too small"],
    [request({ domain_names: ["bad name.example.com"] }), "domain_names.0: Domain name 'bad name.example.com'"],
    [request({ meta: { dns_challenge: true } }), "meta.dns_provider: is required for a DNS challenge"],
    [request({ meta: { dns_challenge: false, dns_provider: "cloudflare" } }), "meta.dns_challenge: must be true"],
    [request({ domain_names: ["*.example.com"], meta: { dns_challenge: false } }), "only be validated by a DNS challenge"],
    [request({ meta: { dns_provider: "gandi" } }), "Unknown DNS provider type 'gandi'; supported types:"],
    [request({ meta: { dns_provider: "cloudflare", api_key: "k" } }), "Unknown field 'meta.api_key'"],
  ])("rejects %j with a 4xx saying why", async (body, message) => {
    const api = await testApi();
    const response = await api.send("POST", "/api/nginx/certificates", { body });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(message);
  });

  // Valid by the document, refused because of the providers stored: 409 (docs/decisions/0018).
  it.each([
    [{ dns_provider: "route53", dns_provider_id: 1 }, "meta.dns_provider: 'route53' is not the type of DNS provider 1 ('cloudflare')"],
    [{ dns_provider: "digitalocean" }, "meta.dns_provider: no DNS provider of type 'digitalocean' is configured"],
    [{ dns_provider: "route53" }, "meta.dns_provider: several DNS providers of type 'route53' are configured"],
  ])("refuses meta %j with a 409: the stored providers do not fit it", async (meta, message) => {
    const api = await testApi();
    const response = await api.send("POST", "/api/nginx/certificates", { body: request({ meta }) });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ error: "Conflict" });
    expect(response.body.message).toContain(message);
    // …and the same request is accepted once it names one provider that fits.
    const fixed = await api.send("POST", "/api/nginx/certificates", { body: request({ meta: { dns_provider_id: api.dns!.route53Main.id } }) });
    expect(fixed.status).toBe(201);
  });

  it("refuses to delete a certificate a proxy host uses, naming the hosts", async () => {
    const api = await testApi();
    const certificate = (await api.send("POST", "/api/nginx/certificates", { body: request() })).body;
    const host = (await api.send("POST", "/api/nginx/proxy-hosts", {
      body: { domain_names: ["secure.example.com"], forward_host: "10.0.0.5", forward_port: 443, certificate_id: certificate.id },
    })).body;
    const refused = await api.send("DELETE", `/api/nginx/certificates/${certificate.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      error: "Cannot delete certificate: 1 proxy host is using this certificate",
      proxy_host_ids: [host.id],
      affected_domains: ["secure.example.com"],
    });
    await api.send("DELETE", `/api/nginx/proxy-hosts/${host.id}`);
    expect((await api.send("DELETE", `/api/nginx/certificates/${certificate.id}`)).status).toBe(200);
    expect((await api.send("GET", `/api/nginx/certificates/${certificate.id}`)).status).toBe(404);
  });

  it("records a renewal request", async () => {
    const api = await testApi();
    const certificate = (await api.send("POST", "/api/nginx/certificates", { body: request() })).body;
    const renewed = await api.send("POST", `/api/nginx/certificates/${certificate.id}/renew`);
    expect(renewed.status).toBe(200);
    expect(renewed.body.renewal_requested_at).not.toBeNull();
    expect((await api.send("POST", "/api/nginx/certificates/999/renew")).status).toBe(404);
    const actions = (await api.table.queryAll({ partition: `AUDITRES#certificate#${certificate.id}`, index: "gsi1" })).map((i) => i["action"]);
    expect(actions).toEqual(["certificate_requested", "certificate_renewal_requested"]);
  });
});
