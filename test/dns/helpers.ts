import { expect } from "vitest";
import type { DnsTestApp } from "../support/dns-app.js";

/**
 * A Cloudflare provider in multi-credential mode whose migrated primary credential is disabled,
 * so that only `filters` (name → zone filter) take part in selection. Returns the ids by name.
 */
export async function providerWith(
  t: DnsTestApp,
  filters: Record<string, string>,
  options: { type?: string; meta?: Record<string, string>; credentials?: Record<string, string> } = {},
): Promise<{ providerId: number; primaryId: number; ids: Record<string, number> }> {
  const created = await t.call("POST", "/api/v1/dns-providers", {
    name: `Provider ${Math.random().toString(36).slice(2)}`,
    acme_dns_provider: options.type ?? "cloudflare",
    meta: options.meta ?? { CF_API_TOKEN: "primary-token-value" },
  });
  expect(created.status).toBe(201);
  const providerId: number = created.body.id;
  const primaryId: number = created.body.primary_credential_id;
  expect((await t.call("POST", `/api/v1/dns-providers/${providerId}/enable-multi-credential`)).status).toBe(200);
  expect((await t.call("PATCH", `/api/v1/dns-providers/${providerId}/credentials/${primaryId}`, { enabled: false })).status).toBe(200);
  const ids: Record<string, number> = {};
  for (const [name, zoneFilter] of Object.entries(filters)) {
    const credential = await t.call("POST", `/api/v1/dns-providers/${providerId}/credentials`, {
      name,
      zone_filter: zoneFilter,
      credentials: options.credentials ?? { api_token: `token-of-${name.replace(/\W/g, "-")}` },
    });
    expect(credential.status, JSON.stringify(credential.body)).toBe(201);
    ids[name] = credential.body.id;
  }
  return { providerId, primaryId, ids };
}

/** A certificate for `names` on the provider, through the certificates API (writes usage items). */
export async function certificateFor(t: DnsTestApp, providerId: number, names: string[]): Promise<number> {
  const certificate = await t.call("POST", "/api/nginx/certificates", {
    provider: "letsencrypt",
    domain_names: names,
    meta: { dns_challenge: true, dns_provider_id: providerId },
  });
  expect(certificate.status, JSON.stringify(certificate.body)).toBe(201);
  return certificate.body.id;
}
