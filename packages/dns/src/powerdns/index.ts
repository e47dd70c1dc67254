import { isIP } from "node:net";
import { refusal } from "@charon/outbound";
import { OutboundRefusedError, ValidationError, type DnsProviderClient, type DnsProviderType, type OutboundPolicy } from "@charon/core";
import { KeyedLock, checkTxtValue, nameInZone, normaliseName, quoteTxt, unquoteTxt } from "../names.js";
import { resolveSettings, type DnsClientOptions } from "../options.js";
import { PowerDnsApi } from "./client.js";

export const powerDnsProvider: DnsProviderType = {
  type: "powerdns",
  label: "PowerDNS",
  docsUrl: "https://doc.powerdns.com/authoritative/http-api/",
  credentialSets: [["api_url", "api_key"]],
  fields: [
    {
      name: "api_url",
      envName: "PDNS_API_URL",
      secret: false,
      required: true,
      description:
        "Base URL of the PowerDNS web server, e.g. http://pdns.internal:8081 (http or https, no user name or password). " +
        "A literal address must be one the server may call: public, or loopback/private as CHARON_OUTBOUND_ALLOW allows, " +
        "never link-local or a cloud metadata address (else a 400); a host name is checked when the server connects",
      format: "url",
    },
    {
      name: "api_key",
      envName: "PDNS_API_KEY",
      secret: true,
      required: true,
      description: "The server's api-key",
    },
    {
      name: "server_id",
      envName: "PDNS_SERVER_ID",
      secret: false,
      required: false,
      description: "Server id in the API path (default localhost)",
    },
  ],
};

/** `http://host:8081/` or `…/api/v1` → `http://host:8081`; anything but http(s) is refused. */
export function normaliseApiUrl(apiUrl: string): string {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new ValidationError("PowerDNS api_url must be an http:// or https:// URL", "Invalid credentials");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ValidationError("PowerDNS api_url must be an http:// or https:// URL", "Invalid credentials");
  }
  // Addresses no configuration allows are refused here; the rest (loopback, private ranges,
  // host names) are the outbound policy's to judge when the server connects.
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const never = isIP(host) === 0 ? undefined : refusal(host, { loopback: true, private: true });
  if (never !== undefined) {
    throw new ValidationError(`PowerDNS api_url: ${never}; the server never calls it`, "Invalid credentials");
  }
  if (url.username || url.password) {
    throw new ValidationError("PowerDNS api_url must not contain a user name or password; the key goes in api_key", "Invalid credentials");
  }
  url.search = "";
  url.hash = "";
  return url.href.replace(/\/+$/, "").replace(/\/api(\/v1)?$/, "");
}

/**
 * `normaliseApiUrl`, and then what this deployment's outbound policy says of a literal address
 * (CHARON_OUTBOUND_ALLOW): a credential every call of which would be refused is refused when it
 * is given, naming the setting to change. Host names are judged when the server connects.
 */
export function checkApiUrl(apiUrl: string, outbound: OutboundPolicy): void {
  try {
    outbound.check(normaliseApiUrl(apiUrl));
  } catch (error) {
    if (!(error instanceof OutboundRefusedError)) throw error;
    throw new ValidationError(`PowerDNS api_url: ${error.message}`, "Invalid credentials");
  }
}

/**
 * PowerDNS: a name's TXT values form one record set, so adding or removing a value reads the
 * set and replaces it whole (`changetype: REPLACE`), or deletes it with its last value.
 */
export function createPowerDnsClient(
  credentials: Record<string, string>,
  options: DnsClientOptions = {},
): DnsProviderClient {
  const api = new PowerDnsApi(
    normaliseApiUrl(credentials["api_url"] ?? ""),
    credentials["api_key"] ?? "",
    credentials["server_id"] ?? "localhost",
    resolveSettings(options),
  );
  const lock = new KeyedLock();

  const listZones = async () =>
    (await api.listZones()).map((zone) => ({ id: zone.id, name: normaliseName(zone.name) }));

  return {
    listZones,

    async addTxtRecord(zone, fqdn, value, ttlSeconds) {
      const name = nameInZone(zone, fqdn);
      checkTxtValue(value);
      return lock.run(`${zone.id} ${name}`, async () => {
        const records = ((await api.getTxtRRSet(zone.id, name))?.records ?? []).map(({ content, disabled }) => ({
          content,
          disabled: disabled === true,
        }));
        if (records.some((record) => unquoteTxt(record.content) === value)) return;
        await api.patch(zone.id, {
          name: `${name}.`,
          type: "TXT",
          ttl: Math.max(1, Math.round(ttlSeconds)),
          changetype: "REPLACE",
          records: [...records, { content: quoteTxt(value), disabled: false }],
        });
      });
    },

    async removeTxtRecord(zone, fqdn, value) {
      const name = nameInZone(zone, fqdn);
      return lock.run(`${zone.id} ${name}`, async () => {
        const rrset = await api.getTxtRRSet(zone.id, name);
        if (!rrset) return;
        const remaining = rrset.records
          .filter((record) => unquoteTxt(record.content) !== value)
          .map(({ content, disabled }) => ({ content, disabled: disabled === true }));
        if (remaining.length === rrset.records.length) return;
        await api.patch(
          zone.id,
          remaining.length === 0
            ? { name: `${name}.`, type: "TXT", changetype: "DELETE" }
            : { name: `${name}.`, type: "TXT", ttl: rrset.ttl, changetype: "REPLACE", records: remaining },
        );
      });
    },

    async verify() {
      const zones = await listZones();
      return { testPerformed: "zone_list", accessibleZones: zones.map((z) => z.name).sort() };
    },
  };
}
