import { beforeAll, describe, expect, it } from "vitest";
import { dnsTestApp, type DnsTestApp } from "../support/dns-app.js";
import { providerWith } from "./helpers.js";

/** Every worked example of shared/spec/zone-matching.md §7, through `GET …/match`. */
let t: DnsTestApp;
beforeAll(async () => {
  t = await dnsTestApp();
});

async function chosen(providerId: number, domain: string) {
  const answer = await t.call("GET", `/api/v1/dns-providers/${providerId}/match?domain=${encodeURIComponent(domain)}`);
  expect(answer.status).toBe(200);
  return answer.body;
}

describe("zone matching worked examples (spec §7) through /match", () => {
  it("MSP: one wildcard per customer and a catch-all", async () => {
    const { providerId, ids } = await providerWith(t, { A: "*.customer-a.com", B: "*.customer-b.com", C: "" });
    expect((await chosen(providerId, "shop.customer-a.com")).credential.id).toBe(ids.A);
    expect((await chosen(providerId, "api.customer-b.com")).credential.id).toBe(ids.B);
    for (const domain of ["example.com", "random.org"]) {
      const answer = await chosen(providerId, domain);
      expect(answer.credential.id).toBe(ids.C);
      expect(answer.match_type).toBe("catch_all");
    }
    expect(await chosen(providerId, "shop.customer-a.com")).toEqual({
      domain: "shop.customer-a.com",
      zone: "customer-a.com",
      credential: { id: ids.A, name: "A", zone_filter: "*.customer-a.com" },
      matched_pattern: "*.customer-a.com",
      match_type: "wildcard",
      candidates: [
        { credential_id: ids.A, pattern: "*.customer-a.com", match_type: "wildcard", specificity: 2 },
        { credential_id: ids.C, pattern: "", match_type: "catch_all", specificity: 0 },
      ],
      multi_credential_enabled: true,
      message: null,
    });
  });

  it("environments: the most specific zone wins, the root of staging goes to production", async () => {
    const { providerId, ids } = await providerWith(t, { P: "example.com", S: "*.staging.example.com", D: "*.dev.example.com" });
    for (const domain of ["www.example.com", "api.example.com", "staging.example.com"]) {
      expect((await chosen(providerId, domain)).credential.id).toBe(ids.P);
    }
    const staging = await chosen(providerId, "app.staging.example.com");
    expect(staging.credential.id).toBe(ids.S);
    expect(staging.candidates.map((c: { pattern: string }) => c.pattern)).toEqual(["*.staging.example.com", "example.com"]);
    expect((await chosen(providerId, "api.dev.example.com")).credential.id).toBe(ids.D);
  });

  it("regions: no catch-all means no match, answered with the documents' message", async () => {
    const { providerId, ids } = await providerWith(t, { US: "*.us.example.com", EU: "*.eu.example.com", APAC: "*.apac.example.com" });
    expect((await chosen(providerId, "shop.us.example.com")).credential.id).toBe(ids.US);
    expect((await chosen(providerId, "api.eu.example.com")).credential.id).toBe(ids.EU);
    expect((await chosen(providerId, "portal.apac.example.com")).credential.id).toBe(ids.APAC);
    expect(await chosen(providerId, "www.example.com")).toEqual({
      domain: "www.example.com",
      zone: "example.com",
      credential: null,
      matched_pattern: null,
      match_type: null,
      candidates: [],
      multi_credential_enabled: true,
      message: "No credential found for provider 'cloudflare' and zone 'example.com'",
    });
  });

  it("overlap: exact beats wildcard at equal specificity", async () => {
    const { providerId, ids } = await providerWith(t, { A: "example.com", B: "*.example.com" });
    const answer = await chosen(providerId, "www.example.com");
    expect(answer.credential.id).toBe(ids.A);
    expect(answer.match_type).toBe("exact");
    expect(answer.candidates.map((c: { credential_id: number }) => c.credential_id)).toEqual([ids.A, ids.B]);
  });

  it("normalises the name asked about and rejects malformed ones with the reason", async () => {
    const { providerId, ids } = await providerWith(t, { A: "*.customer-a.com" });
    const answer = await chosen(providerId, "Shop.Customer-A.com.");
    expect(answer.domain).toBe("shop.customer-a.com");
    expect(answer.credential.id).toBe(ids.A);
    const wildcard = await chosen(providerId, "*.customer-a.com");
    expect(wildcard.credential.id).toBe(ids.A);
    const bad = await t.call("GET", `/api/v1/dns-providers/${providerId}/match?domain=a..b.com`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: "Invalid domain name", details: "Domain name 'a..b.com' has an empty label" });
    expect((await t.call("GET", `/api/v1/dns-providers/${providerId}/match`)).body.message).toBe("domain: is required");
    expect((await t.call("GET", `/api/v1/dns-providers/999999/match?domain=a.com`)).status).toBe(404);
  });

  it("disabled and deprecated credentials are never chosen", async () => {
    const { providerId, ids } = await providerWith(t, { Old: "*.rotate.com", Fallback: "" });
    await t.call("PATCH", `/api/v1/dns-providers/${providerId}/credentials/${ids.Old}`, { zone_filter: "__deprecated__" });
    expect((await chosen(providerId, "a.rotate.com")).credential.id).toBe(ids.Fallback);
  });

  it("in single-credential mode the primary credential serves every name", async () => {
    const created = await t.call("POST", "/api/v1/dns-providers", {
      name: "Single",
      acme_dns_provider: "digitalocean",
      meta: { DO_AUTH_TOKEN: "do-token-value" },
    });
    const answer = await chosen(created.body.id, "anything.example.net");
    expect(answer.credential).toEqual({ id: created.body.primary_credential_id, name: "DigitalOcean Primary Credential", zone_filter: "" });
    expect(answer.multi_credential_enabled).toBe(false);
  });
});
