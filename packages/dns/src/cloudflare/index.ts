import type { DnsProviderClient, DnsProviderType } from "@charon/core";
import { checkTxtValue, nameInZone, normaliseName, quoteTxt, unquoteTxt } from "../names.js";
import { DnsProviderError } from "../errors.js";
import { resolveSettings, type DnsClientOptions } from "../options.js";
import { CLOUDFLARE_API_URL, CloudflareApi, type CloudflareAuth } from "./client.js";

export const cloudflareProvider: DnsProviderType = {
  type: "cloudflare",
  label: "Cloudflare",
  docsUrl: "https://developers.cloudflare.com/fundamentals/api/get-started/create-token/",
  credentialSets: [["api_token"], ["api_key", "email"]],
  fields: [
    {
      name: "api_token",
      envName: "CF_API_TOKEN",
      secret: true,
      required: false,
      description: "API token with Zone:Read and Zone:DNS:Edit on the zones it serves",
    },
    {
      name: "api_key",
      envName: "CF_API_KEY",
      secret: true,
      required: false,
      description: "Global API key (legacy; prefer a scoped API token)",
    },
    {
      name: "email",
      envName: "CF_API_EMAIL",
      secret: false,
      required: false,
      description: "Account e-mail address that goes with the global API key",
    },
  ],
};

/** Cloudflare's shortest TTL other than 1 ("automatic"), and its longest. */
const MIN_TTL = 60;
const MAX_TTL = 86_400;

/**
 * Cloudflare: one TXT record per value, so two challenges on one name never overwrite each other.
 * Credentials are canonical (see `normaliseCredentials`).
 */
export function createCloudflareClient(
  credentials: Record<string, string>,
  options: DnsClientOptions = {},
): DnsProviderClient {
  const token = credentials["api_token"];
  const auth: CloudflareAuth = token
    ? { token }
    : { key: credentials["api_key"] ?? "", email: credentials["email"] ?? "" };
  const api = new CloudflareApi(auth, options.endpoints?.cloudflare ?? CLOUDFLARE_API_URL, resolveSettings(options));

  const listZones = async () =>
    (await api.listZones()).map((zone) => ({ id: zone.id, name: normaliseName(zone.name) }));

  /** The TXT records at `name`, checked locally too in case the API's filter is ignored. */
  const txtRecordsAt = async (zoneId: string, name: string) =>
    (await api.listTxtRecords(zoneId, name)).filter(
      (record) => record.type === "TXT" && normaliseName(record.name) === name,
    );

  return {
    listZones,

    async addTxtRecord(zone, fqdn, value, ttlSeconds) {
      const name = nameInZone(zone, fqdn);
      checkTxtValue(value);
      const existing = await txtRecordsAt(zone.id, name);
      if (existing.some((record) => unquoteTxt(record.content) === value)) return;
      const ttl = Math.min(MAX_TTL, Math.max(MIN_TTL, Math.round(ttlSeconds)));
      await api.createTxtRecord(zone.id, name, quoteTxt(value), ttl);
    },

    async removeTxtRecord(zone, fqdn, value) {
      const name = nameInZone(zone, fqdn);
      const existing = await txtRecordsAt(zone.id, name);
      for (const record of existing.filter((r) => unquoteTxt(r.content) === value)) {
        await api.deleteRecord(zone.id, record.id);
      }
    },

    async verify() {
      if ("token" in auth) {
        const status = await api.verifyToken();
        if (status.status !== "active") {
          throw new DnsProviderError({
            provider: "cloudflare",
            reason: "auth",
            message: `Cloudflare API token is ${status.status}`,
            upstreamMessage: `This API token is ${status.status}`,
          });
        }
      }
      const zones = await listZones();
      return { testPerformed: "zone_list", accessibleZones: zones.map((z) => z.name).sort() };
    },
  };
}
