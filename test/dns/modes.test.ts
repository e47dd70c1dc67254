import { beforeAll, describe, expect, it } from "vitest";
import { dnsTestApp, type DnsTestApp } from "../support/dns-app.js";
import { certificateFor } from "./helpers.js";

/** multi-credential-dns.md: "What Happens During Migration" and "Backward Compatibility". */
let t: DnsTestApp;
beforeAll(async () => {
  t = await dnsTestApp();
});

const base = (id: number) => `/api/v1/dns-providers/${id}`;
const domainsOf = async (providerId: number, credentialId: number) =>
  (await t.call("GET", `${base(providerId)}/credentials/${credentialId}`)).body.domains as string[];
const actions = async (providerId: number) =>
  (await t.call("GET", `/api/v1/audit-logs?resource_type=dns_provider&resource_id=${providerId}`)).body.audit_logs.map(
    (e: { action: string }) => e.action,
  );

describe("single ↔ multi-credential mode", () => {
  it("migrates, keeps every name working, disables to the first credential and re-enables without duplicates", async () => {
    const provider = await t.call("POST", "/api/nginx/dns-providers", {
      name: "Cloudflare Production",
      acme_dns_provider: "cloudflare",
      meta: { CF_API_TOKEN: "original-provider-token" },
    });
    const id: number = provider.body.id;
    const primaryId: number = provider.body.primary_credential_id;
    await certificateFor(t, id, ["shop.customer-a.com", "www.example.com"]);
    expect(await domainsOf(id, primaryId)).toEqual(["shop.customer-a.com", "www.example.com"]);

    const enabled = await t.call("POST", `${base(id)}/enable-multi-credential`);
    expect(enabled.body).toEqual({
      message: "Multi-credential mode enabled",
      provider_id: id,
      migrated_credential: { id: primaryId, name: "Cloudflare Primary Credential", zone_filter: "", description: "Migrated from single-credential mode" },
    });
    // Zero downtime: the same credential (and secret) still serves every name, now as the catch-all.
    expect(await domainsOf(id, primaryId)).toEqual(["shop.customer-a.com", "www.example.com"]);
    expect((await t.call("GET", `${base(id)}/match?domain=anything.net`)).body).toMatchObject({ credential: { id: primaryId }, match_type: "catch_all" });
    expect((await t.call("GET", base(id))).body).toMatchObject({ multi_credential_enabled: true, meta: { CF_API_TOKEN: "set" } });

    const customerA = await t.call("POST", `${base(id)}/credentials`, {
      name: "Customer A Production",
      zone_filter: "*.customer-a.com",
      credentials: { api_token: "customer-a-token" },
    });
    expect(await domainsOf(id, customerA.body.id)).toEqual(["shop.customer-a.com"]);

    const disabled = await t.call("POST", `${base(id)}/disable-multi-credential`);
    expect(disabled.body).toEqual({
      message: "Multi-credential mode disabled",
      provider_id: id,
      primary_credential: { id: primaryId, name: "Cloudflare Primary Credential" },
      note: "Other credentials are retained but not used. Re-enable multi-credential mode to use them again.",
    });
    expect(await domainsOf(id, primaryId)).toEqual(["shop.customer-a.com", "www.example.com"]);
    expect((await t.call("GET", `${base(id)}/match?domain=shop.customer-a.com`)).body.credential.id).toBe(primaryId);
    const retained = await t.call("GET", `${base(id)}/credentials`);
    expect(retained.body.total).toBe(2);
    expect((await t.call("POST", `${base(id)}/disable-multi-credential`)).body).toEqual(disabled.body);
    expect((await t.call("POST", `${base(id)}/credentials`, { name: "x", credentials: { api_token: "t" } })).status).toBe(409);

    const again = await t.call("POST", `${base(id)}/enable-multi-credential`);
    expect(again.body).toEqual(enabled.body);
    expect(await domainsOf(id, customerA.body.id)).toEqual(["shop.customer-a.com"]);
    const listed = await t.call("GET", `${base(id)}/credentials`);
    expect(listed.body.credentials.map((c: { name: string }) => c.name)).toEqual(["Cloudflare Primary Credential", "Customer A Production"]);
    expect((await t.call("POST", `${base(id)}/enable-multi-credential`)).body).toEqual(enabled.body);

    // One entry per actual change; the idempotent repeats changed nothing.
    expect(await actions(id)).toEqual(["multi_credential_enabled", "multi_credential_disabled", "multi_credential_enabled", "dns_provider_created"]);
  });

  it("keeps the credentials' own names and filters across a disable and re-enable", async () => {
    const provider = await t.call("POST", "/api/nginx/dns-providers", { name: "DO", acme_dns_provider: "digitalocean", meta: { DO_AUTH_TOKEN: "do-token-one" } });
    const id: number = provider.body.id;
    const primaryId: number = provider.body.primary_credential_id;
    await t.call("POST", `${base(id)}/enable-multi-credential`);
    await t.call("PATCH", `${base(id)}/credentials/${primaryId}`, { name: "Renamed", zone_filter: "*.kept.example.com" });
    await t.call("POST", `${base(id)}/disable-multi-credential`);
    const again = await t.call("POST", `${base(id)}/enable-multi-credential`);
    expect(again.body.migrated_credential).toEqual({ id: primaryId, name: "Renamed", zone_filter: "*.kept.example.com", description: "Migrated from single-credential mode" });
  });

  it("after the primary credential is deleted, disabling promotes the first remaining credential", async () => {
    const provider = await t.call("POST", "/api/nginx/dns-providers", { name: "PDNS", acme_dns_provider: "powerdns", meta: { PDNS_API_URL: "http://127.0.0.1:1", PDNS_API_KEY: "pdns-key-value" } });
    const id: number = provider.body.id;
    await t.call("POST", `${base(id)}/enable-multi-credential`);
    const second = await t.call("POST", `${base(id)}/credentials`, {
      name: "Second",
      zone_filter: "*.second.example.com",
      credentials: { api_url: "http://127.0.0.1:2", api_key: "second-key-value" },
    });
    expect((await t.call("DELETE", `${base(id)}/credentials/${provider.body.primary_credential_id}`)).status).toBe(200);
    expect((await t.call("GET", base(id))).body).toMatchObject({ primary_credential_id: null, meta: {} });
    const disabled = await t.call("POST", `${base(id)}/disable-multi-credential`);
    expect(disabled.body.primary_credential).toEqual({ id: second.body.id, name: "Second" });
    expect((await t.call("GET", base(id))).body).toMatchObject({
      primary_credential_id: second.body.id,
      meta: { PDNS_API_URL: "http://127.0.0.1:2", PDNS_API_KEY: "set" },
    });
    // In single-credential mode the primary cannot be deleted from under the provider.
    const refused = await t.call("DELETE", `${base(id)}/credentials/${second.body.id}`);
    expect(refused.status).toBe(409);
  });

  it("cannot disable multi-credential mode with no credential left", async () => {
    const provider = await t.call("POST", "/api/nginx/dns-providers", { name: "Empty", acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: "empty-token" } });
    const id: number = provider.body.id;
    await t.call("POST", `${base(id)}/enable-multi-credential`);
    await t.call("DELETE", `${base(id)}/credentials/${provider.body.primary_credential_id}`);
    const refused = await t.call("POST", `${base(id)}/disable-multi-credential`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe(`DNS provider ${id} has no credentials; create one before disabling multi-credential mode`);
  });
});
