import { HttpClient, isRecord } from "../http.js";
import { normaliseName } from "../names.js";
import type { ClientSettings } from "../options.js";
import {
  errorText,
  isRRSet,
  isZoneSummary,
  type PowerDnsRRSet,
  type PowerDnsRRSetChange,
  type PowerDnsZoneSummary,
} from "./types.js";

/** PowerDNS Authoritative's HTTP API for one server id, the calls the adapter needs. */
export class PowerDnsApi {
  private readonly http: HttpClient;

  constructor(
    apiUrl: string,
    apiKey: string,
    private readonly serverId: string,
    settings: ClientSettings,
  ) {
    this.http = new HttpClient({
      provider: "powerdns",
      label: "PowerDNS",
      baseUrl: `${apiUrl}/api/v1/servers/${encodeURIComponent(serverId)}`,
      headers: { "x-api-key": apiKey },
      secrets: [apiKey],
      // api_url is the user's: every request goes through the outbound policy.
      settings: { ...settings, fetch: (url, init) => settings.outbound.fetch(new URL(String(url)), init) },
      errorText,
    });
  }

  async listZones(): Promise<PowerDnsZoneSummary[]> {
    const response = await this.http.request("GET", "/zones", { allow: [404] });
    if (response.status === 404) {
      const message = `PowerDNS API returned 404: no server '${this.serverId}' (check server_id)`;
      throw this.http.failure("not_found", message, { status: 404, upstream: "Not Found" });
    }
    if (!Array.isArray(response.body)) throw this.http.unexpected("GET", "/zones", "not a list of zones");
    return response.body.map((zone) => {
      if (!isZoneSummary(zone)) throw this.http.unexpected("GET", "/zones", "malformed zone");
      return zone;
    });
  }

  /** The TXT record set at `fqdn` (normalised, no trailing dot), if there is one. */
  async getTxtRRSet(zoneId: string, fqdn: string): Promise<PowerDnsRRSet | undefined> {
    const path = `/zones/${encodeURIComponent(zoneId)}`;
    const response = await this.http.request("GET", path, { query: { rrset_name: `${fqdn}.`, rrset_type: "TXT" }, allow: [404] });
    if (response.status === 404) {
      // PowerDNS says only "Not Found"; the user needs to know which zone the record was meant for.
      const upstream = errorText(response.body) ?? "Not Found";
      const message =
        `PowerDNS API returned 404: server '${this.serverId}' has no zone '${zoneId}' for ${fqdn} ` +
        "(create the zone there, or delegate _acme-challenge to a zone it holds)";
      throw this.http.failure("not_found", message, { status: 404, upstream });
    }
    const rrsets = isRecord(response.body) ? response.body["rrsets"] : undefined;
    if (!Array.isArray(rrsets)) throw this.http.unexpected("GET", path, "no rrsets");
    for (const rrset of rrsets) {
      if (!isRRSet(rrset)) throw this.http.unexpected("GET", path, "malformed rrset");
      if (rrset.type === "TXT" && normaliseName(rrset.name) === fqdn) return rrset;
    }
    return undefined;
  }

  async patch(zoneId: string, change: PowerDnsRRSetChange): Promise<void> {
    await this.http.request("PATCH", `/zones/${encodeURIComponent(zoneId)}`, { body: { rrsets: [change] } });
  }
}
