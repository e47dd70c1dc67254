import type { DnsProviderClient, DnsProviderType, DnsZone } from "@charon/core";
import { checkTxtValue, nameInZone, normaliseName, relativeName, unquoteTxt } from "../names.js";
import { resolveSettings, type DnsClientOptions } from "../options.js";
import { DIGITALOCEAN_API_URL, DigitalOceanApi } from "./client.js";

export const digitalOceanProvider: DnsProviderType = {
  type: "digitalocean",
  label: "DigitalOcean",
  docsUrl: "https://docs.digitalocean.com/reference/api/create-personal-access-token/",
  credentialSets: [["api_token"]],
  fields: [
    {
      name: "api_token",
      envName: "DO_AUTH_TOKEN",
      secret: true,
      required: true,
      description: "Personal access token with read and write access to domains",
    },
  ],
};

/** DigitalOcean's shortest TTL. */
const MIN_TTL = 30;

/**
 * DigitalOcean: one TXT record per value. Zones are the account's domains; record names are
 * relative to the domain when written and fully qualified when filtered.
 */
export function createDigitalOceanClient(
  credentials: Record<string, string>,
  options: DnsClientOptions = {},
): DnsProviderClient {
  const api = new DigitalOceanApi(
    credentials["api_token"] ?? "",
    options.endpoints?.digitalocean ?? DIGITALOCEAN_API_URL,
    resolveSettings(options),
  );

  const listZones = async () =>
    (await api.listDomains()).map((domain) => ({ id: domain.name, name: normaliseName(domain.name) }));

  /** The TXT records at `name`, checked locally too in case the API's filter is ignored. */
  const txtRecordsAt = async (zone: DnsZone, name: string) => {
    const relative = relativeName(zone.name, name);
    const records = await api.listTxtRecords(zone.id, name);
    return records.filter((record) => record.type === "TXT" && normaliseName(record.name) === relative);
  };

  return {
    listZones,

    async addTxtRecord(zone, fqdn, value, ttlSeconds) {
      const name = nameInZone(zone, fqdn);
      checkTxtValue(value);
      const existing = await txtRecordsAt(zone, name);
      if (existing.some((record) => unquoteTxt(record.data) === value)) return;
      const ttl = Math.max(MIN_TTL, Math.round(ttlSeconds));
      await api.createTxtRecord(zone.id, relativeName(zone.name, name), value, ttl);
    },

    async removeTxtRecord(zone, fqdn, value) {
      const name = nameInZone(zone, fqdn);
      const existing = await txtRecordsAt(zone, name);
      for (const record of existing.filter((r) => unquoteTxt(r.data) === value)) {
        await api.deleteRecord(zone.id, record.id);
      }
    },

    async verify() {
      const zones = await listZones();
      return { testPerformed: "zone_list", accessibleZones: zones.map((z) => z.name).sort() };
    },
  };
}
