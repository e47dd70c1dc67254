/**
 * The GitOps round trip: what a GET answers, a POST or PUT takes back. Read-only fields (ids,
 * times, embedded objects, statistics) are accepted and ignored; secrets, which answers show as
 * "set", are kept when sent back exactly as shown and are never stored as "set".
 */
import { afterAll, describe, expect, it } from "vitest";
import { FAKE_CLOUDFLARE_TOKEN, testApi } from "../../../test/support/api.js";

// Two stages: what one answers is applied to the other, as a GitOps pipeline would.
const stage = await testApi({ standardDns: false });
const other = await testApi({ standardDns: false });
afterAll(async () => {
  await stage.stop();
  await other.stop();
});

const cloudflare = (name: string) => ({ name, acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: FAKE_CLOUDFLARE_TOKEN } });
// The first provider of each stage: same id on both, so certificates can name it by id.
const providerId = (await stage.send("POST", "/api/nginx/dns-providers", { body: cloudflare("Cloudflare") })).body.id as number;
expect((await other.send("POST", "/api/nginx/dns-providers", { body: cloudflare("Cloudflare") })).body.id).toBe(providerId);

/** `object` without the fields that change on every write or differ between stages. */
const without = (object: Record<string, unknown>, ...fields: string[]) =>
  Object.fromEntries(Object.entries(object).filter(([field]) => !fields.includes(field)));

describe("GET fed back as a write", () => {
  it("proxy hosts: PUT to the same host changes nothing, POST to another stage recreates it", async () => {
    const created = await stage.send("POST", "/api/nginx/proxy-hosts", {
      body: {
        domain_names: ["round-trip.example.com", "www.round-trip.example.com"],
        forward_host: "10.0.0.5",
        forward_port: 3000,
        ssl_forced: true,
        locations: [{ path: "/api/", forward_host: "10.0.0.6", forward_port: 8080 }],
        meta: { note: "kept" },
        waf_enabled: true,
        waf_mode: "monitor",
      },
    });
    expect(created.status).toBe(201);
    const shown = (await stage.send("GET", `/api/nginx/proxy-hosts/${created.body.id}`)).body;
    const put = await stage.send("PUT", `/api/nginx/proxy-hosts/${created.body.id}`, { body: shown });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(without(put.body, "modified_on")).toEqual(without(shown, "modified_on"));
    const posted = await other.send("POST", "/api/nginx/proxy-hosts", { body: shown });
    expect(posted.status, JSON.stringify(posted.body)).toBe(201);
    expect(without(posted.body, "id", "created_on", "modified_on")).toEqual(without(shown, "id", "created_on", "modified_on"));
  });

  it("proxy hosts: a host with a certificate, its summary sent back too", async () => {
    const certificate = await stage.send("POST", "/api/nginx/certificates", {
      body: { provider: "letsencrypt", domain_names: ["secure-trip.example.com"], meta: { dns_provider_id: providerId } },
    });
    const host = await stage.send("POST", "/api/nginx/proxy-hosts", {
      body: { domain_names: ["secure-trip.example.com"], forward_host: "10.0.0.5", forward_port: 80, certificate_id: certificate.body.id },
    });
    const shown = (await stage.send("GET", `/api/nginx/proxy-hosts/${host.body.id}`)).body;
    expect(shown.certificate).toMatchObject({ id: certificate.body.id });
    const put = await stage.send("PUT", `/api/nginx/proxy-hosts/${host.body.id}`, { body: { ...shown, forward_port: 81 } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ forward_port: 81, certificate_id: certificate.body.id, id: host.body.id, created_on: shown.created_on });
  });

  it("certificates: 100 names (an automatic nice_name within the 255 a create accepts), both dns_provider and its id", async () => {
    const names = Array.from({ length: 100 }, (_, i) => `customer-${String(i).padStart(3, "0")}.round-trip.example.com`);
    const created = await stage.send("POST", "/api/nginx/certificates", {
      body: { provider: "letsencrypt", domain_names: names, meta: { dns_provider: "cloudflare" } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const shown = (await stage.send("GET", `/api/nginx/certificates/${created.body.id}`)).body;
    expect(shown.nice_name.length).toBeLessThanOrEqual(255);
    expect(shown.nice_name).toMatch(/^customer-000\.round-trip\.example\.com, customer-001\..* and \d+ more$/);
    expect(shown.meta).toMatchObject({ dns_provider: "cloudflare", dns_provider_id: providerId });
    const posted = await other.send("POST", "/api/nginx/certificates", { body: shown });
    expect(posted.status, JSON.stringify(posted.body)).toBe(201);
    expect(posted.body).toMatchObject({ nice_name: shown.nice_name, domain_names: names, meta: shown.meta, status: "pending" });
  });

  it("certificates: a few long names still get a nice_name a create accepts; a type that contradicts the id is a 400", async () => {
    const long = (n: number) => `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.n${n}.example.com`;
    const created = await stage.send("POST", "/api/nginx/certificates", {
      body: { provider: "letsencrypt", domain_names: [long(1), long(2)], meta: { dns_provider_id: providerId } },
    });
    const shown = (await stage.send("GET", `/api/nginx/certificates/${created.body.id}`)).body;
    expect(shown.nice_name).toBe(`${long(1)} and 1 more`);
    expect((await other.send("POST", "/api/nginx/certificates", { body: shown })).status).toBe(201);
    const contradicting = await other.send("POST", "/api/nginx/certificates", {
      body: { ...shown, meta: { ...shown.meta, dns_provider: "route53" } },
    });
    expect(contradicting.status).toBe(409);
    expect(contradicting.body.message).toContain("meta.dns_provider: 'route53' is not the type of DNS provider");
  });

  it("DNS providers: meta sent back as shown (secrets \"set\") keeps the credential; \"set\" is never stored", async () => {
    const created = (await stage.send("POST", "/api/v1/dns-providers", { body: cloudflare("Round trip") })).body;
    const shown = (await stage.send("GET", `/api/v1/dns-providers/${created.id}`)).body;
    expect(shown.meta).toEqual({ CF_API_TOKEN: "set" });
    for (const method of ["PUT", "PATCH"]) {
      const answer = await stage.send(method, `/api/v1/dns-providers/${created.id}`, { body: shown });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body).toEqual(shown);
    }
    const renamed = await stage.send("PUT", `/api/v1/dns-providers/${created.id}`, { body: { ...shown, name: "Renamed" } });
    expect(renamed.body).toMatchObject({ name: "Renamed", primary_credential_id: shown.primary_credential_id, meta: { CF_API_TOKEN: "set" } });
    const audit = (await stage.services.auditLog.list({ resourceType: "dns_provider", resourceId: String(created.id) }, { limit: 10 })).items;
    expect(audit.map((e) => [e.action, e.details["changed_fields"]])).toEqual([
      ["dns_provider_updated", ["name"]],
      ["dns_provider_created", undefined],
    ]);
    // Secrets are write-only: another stage must be given the value, and a changed meta may not carry "set".
    const posted = await other.send("POST", "/api/v1/dns-providers", { body: shown });
    expect(posted.status).toBe(400);
    expect(posted.body.details).toMatch(/^meta\.CF_API_TOKEN: "set" is how answers show a stored secret/);
    const mixed = await stage.send("PATCH", `/api/v1/dns-providers/${created.id}`, { body: { meta: { CF_API_TOKEN: "set", CF_ZONE_ID: "z" } } });
    expect(mixed.status).toBe(400);
  });

  it("DNS providers: \"set\" keeps the secret in either spelling; with the credential changed it is a 409; the kept token still authenticates", async () => {
    const created = (await stage.send("POST", "/api/v1/dns-providers", { body: cloudflare("Kept") })).body;
    const path = `/api/nginx/dns-providers/${created.id}`;
    const respelled = await stage.send("PUT", path, { body: { meta: { api_token: "set" } } });
    expect(respelled.status, JSON.stringify(respelled.body)).toBe(200);
    expect(respelled.body).toMatchObject({ meta: { CF_API_TOKEN: "set" }, primary_credential_id: created.primary_credential_id });
    // Valid by the document (Cloudflare's other set, the key "set"), but the stored credential has no key to keep.
    const otherSet = await stage.send("PATCH", path, { body: { meta: { api_key: "set", email: "ops@example.com" } } });
    expect(otherSet.status, JSON.stringify(otherSet.body)).toBe(409);
    expect(otherSet.body.message).toMatch(/^meta\.api_key: "set" keeps the stored secret only with meta as the GET shows it/);
    const audit = (await stage.services.auditLog.list({ resourceType: "dns_provider", resourceId: String(created.id) }, { limit: 10 })).items;
    expect(audit.map((e) => e.action)).toEqual(["dns_provider_created"]);
    // The primary credential, tested through the API: the token kept is the real one ("set" would fail).
    const enabled = await stage.send("POST", `${path}/enable-multi-credential`);
    const tested = await stage.send("POST", `${path}/credentials/${enabled.body.migrated_credential.id}/test`);
    expect(tested.status, JSON.stringify(tested.body)).toBe(200);
    expect(tested.body.status).not.toBe("failed");
  });

  it("DNS providers: an update's meta is the stored type's credential fields; another type's are a 409 naming the type, a malformed field a 400", async () => {
    const created = (await stage.send("POST", "/api/v1/dns-providers", { body: cloudflare("Typed") })).body;
    const path = `/api/v1/dns-providers/${created.id}`;
    const rotated = await stage.send("PUT", path, { body: { meta: { api_token: FAKE_CLOUDFLARE_TOKEN } } });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    const powerdns = await stage.send("PATCH", path, { body: { meta: { PDNS_API_URL: "http://pdns.example.com:8081", PDNS_API_KEY: "k" } } });
    expect(powerdns.status, JSON.stringify(powerdns.body)).toBe(409);
    expect(powerdns.body.message).toContain(`meta: these are PowerDNS credential fields, and DNS provider ${created.id} is Cloudflare`);
    const blank = await stage.send("PATCH", path, { body: { meta: { api_token: " " } } });
    expect(blank.status).toBe(400);
    expect(blank.body.details).toContain("api_token");
    const both = await stage.send("PATCH", path, { body: { meta: { api_token: FAKE_CLOUDFLARE_TOKEN, CF_API_TOKEN: FAKE_CLOUDFLARE_TOKEN } } });
    expect(both.status).toBe(400);
    const empty = await stage.send("PATCH", path, { body: { meta: {} } });
    expect(empty.status).toBe(409);
    expect(empty.body.message).toBe(`meta: {} is how answers show a provider with no primary credential; DNS provider ${created.id} has one, so give its fields`);
  });

  it("DNS providers: one with no primary credential shows meta {}, and takes its GET back", async () => {
    const created = (await stage.send("POST", "/api/v1/dns-providers", { body: cloudflare("No primary") })).body;
    const path = `/api/v1/dns-providers/${created.id}`;
    await stage.send("POST", `${path}/enable-multi-credential`);
    expect((await stage.send("DELETE", `${path}/credentials/${created.primary_credential_id}`)).status).toBe(200);
    const shown = (await stage.send("GET", path)).body;
    expect(shown).toMatchObject({ primary_credential_id: null, meta: {} });
    const put = await stage.send("PUT", path, { body: shown });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toEqual(shown);
  });

  it("credentials: PATCH with the GET body keeps the secret (the credential still authenticates); POST elsewhere needs the value", async () => {
    const provider = (await stage.send("POST", "/api/v1/dns-providers", { body: cloudflare("Many") })).body;
    await stage.send("POST", `/api/v1/dns-providers/${provider.id}/enable-multi-credential`);
    const base = `/api/v1/dns-providers/${provider.id}/credentials`;
    const created = await stage.send("POST", base, {
      body: { name: "Customer A", zone_filter: "*.customer-a.com", credentials: { api_token: FAKE_CLOUDFLARE_TOKEN } },
    });
    const shown = (await stage.send("GET", `${base}/${created.body.id}`)).body;
    expect(shown.credentials).toEqual({ api_token: "set" });
    const patched = await stage.send("PATCH", `${base}/${created.body.id}`, { body: shown });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(without(patched.body, "updated_at", "warnings", "reassigned_domains")).toEqual(without(shown, "updated_at", "domains"));
    const tested = await stage.send("POST", `${base}/${created.body.id}/test`);
    // "warning" only says the fake has no zone customer-a.com: the token authenticated ("set" would be "failed").
    expect(tested.body).toMatchObject({ status: "warning", details: { missing_zones: ["customer-a.com"] } });
    const elsewhere = await stage.send("POST", base, { body: { ...shown, name: "Copy", zone_filter: "*.copy.example" } });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.details).toMatch(/^credentials\.api_token: "set" is how answers show a stored secret/);
  });

  it("credentials: PATCH keeps the secret with \"set\" in the ACME client's spelling; \"set\" with the credential changed, or another type's fields, is a 409", async () => {
    const provider = (await stage.send("POST", "/api/v1/dns-providers", { body: cloudflare("Spelled") })).body;
    await stage.send("POST", `/api/v1/dns-providers/${provider.id}/enable-multi-credential`);
    const base = `/api/nginx/dns-providers/${provider.id}/credentials`;
    const created = await stage.send("POST", base, {
      body: { name: "Customer S", zone_filter: "*.customer-s.com", credentials: { api_token: FAKE_CLOUDFLARE_TOKEN } },
    });
    const kept = await stage.send("PATCH", `${base}/${created.body.id}`, { body: { credentials: { CF_API_TOKEN: "set" } } });
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    expect((await stage.send("POST", `${base}/${created.body.id}/test`)).body.status).not.toBe("failed");
    const otherSet = await stage.send("PATCH", `${base}/${created.body.id}`, { body: { credentials: { CF_API_KEY: "set", CF_API_EMAIL: "ops@example.com" } } });
    expect(otherSet.status, JSON.stringify(otherSet.body)).toBe(409);
    expect(otherSet.body.message).toMatch(/^credentials\.CF_API_KEY: "set" keeps the stored secret only with credentials as the GET shows it/);
    const powerdns = await stage.send("PATCH", `${base}/${created.body.id}`, { body: { credentials: { api_url: "http://pdns.example.com", api_key: "k" } } });
    expect(powerdns.status, JSON.stringify(powerdns.body)).toBe(409);
    expect(powerdns.body.message).toContain(`is Cloudflare`);
    const unknown = await stage.send("PATCH", `${base}/${created.body.id}`, { body: { credentials: { api_token: "set", zone_id: "z" } } });
    expect(unknown.status).toBe(400);
  });

  it("tokens: a listed token fed back as a create makes one with the same rights", async () => {
    const created = await stage.send("POST", "/api/v1/tokens", {
      body: { name: "pipeline", permission: "scoped", scopes: { proxy_hosts: "write", certificates: "read" }, expires_at: "2030-01-01T00:00:00Z" },
    });
    const shown = (await stage.send("GET", "/api/v1/tokens")).body.find((t: { id: number }) => t.id === created.body.id);
    const posted = await other.send("POST", "/api/v1/tokens", { body: shown });
    expect(posted.status, JSON.stringify(posted.body)).toBe(201);
    expect(without(posted.body, "id", "created_at", "created_by", "token")).toEqual(without(shown, "id", "created_at", "created_by"));
  });

  it("settings: PUT with the GET body keeps every value", async () => {
    await stage.send("PUT", "/api/v1/settings", { body: { renewal_window_days: 14, acme_email: "ops@example.com" } });
    const shown = (await stage.send("GET", "/api/v1/settings")).body;
    const put = await stage.send("PUT", "/api/v1/settings", { body: shown });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(without(put.body, "modified_on")).toEqual(without(shown, "modified_on"));
    const posted = await other.send("PUT", "/api/v1/settings", { body: shown });
    expect(without(posted.body, "modified_on")).toEqual(without(shown, "modified_on"));
  });
});
